<?php
/**
 * The tests' payment gateways (see mu-plugins/revisit-test-gateways.php). Each is a plain
 * WC_Payment_Gateway: WooCommerce lists, chooses and calls them as it does any gateway.
 *
 * @package Revisit\WooCommerce\Tests
 */

defined( 'ABSPATH' ) || exit;

/**
 * What the three share: enabled, no settings form.
 */
abstract class Revisit_Test_Gateway extends WC_Payment_Gateway {

	/**
	 * Set up.
	 *
	 * @param string $id    Gateway id.
	 * @param string $title Title shown at checkout.
	 */
	public function __construct( $id = '', $title = '' ) {
		$this->id                 = $id;
		$this->method_title       = $title;
		$this->title              = $title;
		$this->method_description = 'Revisit tests only.';
		$this->description        = '';
		$this->has_fields         = false;
		$this->supports           = array( 'products', 'refunds' );
		$this->enabled            = 'yes';
	}

	/**
	 * A refund through the gateway always goes through (the money goes back at once).
	 *
	 * @param int        $order_id Order.
	 * @param float|null $amount   Amount.
	 * @param string     $reason   Reason.
	 * @return bool
	 */
	public function process_refund( $order_id, $amount = null, $reason = '' ) {
		return true;
	}
}

/**
 * Pays at once: the order is paid (payment_complete) with a transaction id.
 */
class Revisit_Test_Gateway_Bank extends Revisit_Test_Gateway {

	/**
	 * Set up.
	 */
	public function __construct() {
		parent::__construct( 'bank', 'Bank card' );
	}

	/**
	 * Pay.
	 *
	 * @param int $order_id Order.
	 * @return array
	 */
	public function process_payment( $order_id ) {
		$order = wc_get_order( $order_id );
		$order->payment_complete( 'TX-' . $order->get_id() );
		WC()->cart->empty_cart();
		return array(
			'result'   => 'success',
			'redirect' => $this->get_return_url( $order ),
		);
	}
}

/**
 * Sends the shopper to the bank's page; the order stays pending until the bank calls back.
 */
class Revisit_Test_Gateway_Zarinpal extends Revisit_Test_Gateway {

	/**
	 * Set up.
	 */
	public function __construct() {
		parent::__construct( 'zarinpal', 'Zarinpal' );
	}

	/**
	 * Redirect to the bank.
	 *
	 * @param int $order_id Order.
	 * @return array
	 */
	public function process_payment( $order_id ) {
		return array(
			'result'   => 'success',
			'redirect' => 'https://bank.example/pay/' . (int) $order_id,
		);
	}
}

/**
 * The bank refuses the card.
 */
class Revisit_Test_Gateway_Declined extends Revisit_Test_Gateway {

	/**
	 * Set up.
	 */
	public function __construct() {
		parent::__construct( 'declined', 'Declined card' );
	}

	/**
	 * Refuse.
	 *
	 * @param int $order_id Order.
	 * @return array
	 */
	public function process_payment( $order_id ) {
		wc_add_notice( 'Card declined.', 'error' );
		return array( 'result' => 'failure' );
	}
}
