<?php
/**
 * The WooCommerce main class and WC().
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * As WooCommerce's main class: init() on `init` fires before_woocommerce_init, sets up the session
 * and cart, then fires woocommerce_init.
 */
final class WooCommerce {

	/**
	 * Version.
	 *
	 * @var string
	 */
	public $version = WC_VERSION;

	/**
	 * Session.
	 *
	 * @var WC_Session|null
	 */
	public $session = null;

	/**
	 * Cart.
	 *
	 * @var WC_Cart|null
	 */
	public $cart = null;

	/**
	 * Stand-in gateways: id => callable( WC_Order ): array result.
	 *
	 * @var callable[]
	 */
	public $payment_gateways = array();

	/**
	 * Instance.
	 *
	 * @var WooCommerce|null
	 */
	private static $instance = null;

	/**
	 * Instance.
	 *
	 * @return WooCommerce
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Initialise, on `init`.
	 */
	public function init() {
		do_action( 'before_woocommerce_init' );
		$this->session = new WC_Session();
		$this->cart    = new WC_Cart();
		// WooCommerce creates these at install; the stand-in makes sure they exist.
		if ( ! get_role( 'customer' ) ) {
			add_role( 'customer', 'Customer', array( 'read' => true ) );
		}
		$admin = get_role( 'administrator' );
		if ( $admin && ! $admin->has_cap( 'manage_woocommerce' ) ) {
			$admin->add_cap( 'manage_woocommerce' );
		}
		do_action( 'woocommerce_init' );
	}

	/**
	 * Checkout.
	 *
	 * @return WC_Checkout
	 */
	public function checkout() {
		return WC_Checkout::instance();
	}
}

/**
 * The WooCommerce instance.
 *
 * @return WooCommerce
 */
function WC() { // phpcs:ignore WordPress.NamingConventions.ValidFunctionName.FunctionNameInvalid -- WooCommerce's name.
	return WooCommerce::instance();
}
