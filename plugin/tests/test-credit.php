<?php
/**
 * Store credit at checkout: shown, applied as a negative fee, held for the order, refused on 409,
 * dropped (not the order) when Revisit cannot be reached, given back when the checkout fails.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Credit.
 */
class Credit_Test extends Revisit_TestCase {

	/**
	 * The shopper.
	 *
	 * @var int
	 */
	private $user_id;

	/**
	 * Logged-in customer with 120,000 credit and a cart of 1,200,000.
	 */
	protected function setUp(): void {
		parent::setUp();
		$this->user_id = $this->customer( array( 'digits_phone' => '+989121234567' ) );
		$this->shop_as( $this->user_id );
		$this->server->configure( array( 'balances' => array( (string) $this->user_id => 120000 ) ) );
		// The tests' gateways (mu-plugins/revisit-test-gateways.php): bank pays at once, zarinpal
		// redirects to the bank, declined refuses the card.
		$product = $this->product(
			array(
				'price'   => '600000',
				'virtual' => true,
			)
		);
		WC()->cart->add_to_cart( $product->get_id(), 2 );
	}

	/**
	 * The credit box as the checkout page prints it.
	 *
	 * @return string
	 */
	private function checkout_box() {
		ob_start();
		do_action( 'woocommerce_review_order_before_payment' );
		return ob_get_clean();
	}

	/**
	 * Tick (or untick) "use my credit", as the checkout's AJAX refresh does.
	 *
	 * @param bool $use Use it.
	 */
	private function tick( $use = true ) {
		$form = array(
			'billing_phone'        => '09121234567',
			'billing_email'        => 'sara@example.com',
			'revisit_credit_shown' => '1',
		);
		if ( $use ) {
			$form['revisit_use_credit'] = '1';
		}
		$this->update_order_review( $form );
	}

	/**
	 * Place the order.
	 *
	 * @param string $gateway Gateway.
	 * @return array Result.
	 */
	private function place_order( $gateway = 'bank' ) {
		return $this->place_checkout(
			array(
				'payment_method'       => $gateway,
				'revisit_credit_shown' => '1',
				'revisit_use_credit'   => '1',
			)
		);
	}

	/**
	 * The server's balance for the shopper.
	 *
	 * @return float
	 */
	private function balance() {
		return (float) $this->server->state()['config']['balances'][ (string) $this->user_id ];
	}

	/**
	 * The newest order.
	 *
	 * @return WC_Order
	 */
	private function last_order() {
		$ids = wc_get_orders(
			array(
				'limit'   => 1,
				'orderby' => 'ID',
				'order'   => 'DESC',
				'return'  => 'ids',
			)
		);
		return wc_get_order( $ids[0] );
	}

	public function test_the_checkout_shows_the_credit_and_applies_it_as_a_negative_fee() {
		$html = $this->checkout_box();
		$this->assertStringContainsString( 'You have', $html );
		$this->assertStringContainsString( '120,000', $html );
		$this->assertStringContainsString( 'name="revisit_use_credit"', $html );
		$this->assertStringNotContainsString( 'checked', $html );
		$this->assertSame( 1200000.0, (float) WC()->cart->get_total( 'edit' ) );

		$this->tick();
		$fees = array_values( WC()->cart->get_fees() );
		$this->assertCount( 1, $fees );
		$this->assertSame( 'Store credit', $fees[0]->name );
		$this->assertSame( -120000.0, $fees[0]->total );
		$this->assertSame( 1080000.0, (float) WC()->cart->get_total( 'edit' ) );
		$this->assertStringContainsString( "checked='checked'", $this->checkout_box() );

		$quotes = $this->requests( '/rest/v1/credit/quote' );
		$this->assertCount( 1, $quotes, 'One quote, reused within the session.' );

		// Every checkout refresh brings the box back with the current state and amounts.
		$fragments = apply_filters( 'woocommerce_update_order_review_fragments', array() );
		$this->assertStringContainsString( "checked='checked'", $fragments['div.revisit-credit'] );
		$this->assertStringContainsString( 'up to', $fragments['div.revisit-credit'] );

		$this->tick( false );
		$this->assertSame( array(), WC()->cart->get_fees() );
		$this->assertSame( 1200000.0, (float) WC()->cart->get_total( 'edit' ) );
	}

	public function test_credit_never_exceeds_the_cart() {
		$this->server->configure( array( 'balances' => array( (string) $this->user_id => 5000000 ) ) );
		$this->tick();
		$this->assertSame( -1200000.0, array_values( WC()->cart->get_fees() )[0]->total );
		$this->assertSame( 0.0, (float) WC()->cart->get_total( 'edit' ) );
	}

	public function test_placing_the_order_holds_the_credit_and_the_order_event_carries_it() {
		$this->tick();
		$result = $this->place_order();
		$this->assertSame( 'success', $result['result'] );
		$order = $this->last_order();
		$this->assertSame( '120000', $order->get_meta( Revisit_Events::META_CREDIT_USED ) );
		$this->assertSame( 'held', $order->get_meta( Revisit_Credit::META_STATE ) );
		$this->assertSame( 1080000.0, (float) $order->get_total() );
		$this->assertSame( 0.0, $this->balance() );
		$holds = $this->server->state()['holds'];
		$this->assertSame( 120000, (int) $holds[ (string) $order->get_id() ]['amount'] );
		$hold_request = $this->requests( '/rest/v1/credit/hold' );
		$this->assertCount( 1, $hold_request );
		$this->assertSame(
			array(
				'order_external_id' => (string) $order->get_id(),
				'customer'          => array(
					'external_id' => (string) $this->user_id,
					'phone'       => '09121234567',
					'email'       => 'sara@example.com',
				),
				'amount'            => '120000',
				'currency'          => 'IRT',
			),
			$hold_request[0]['body']
		);
		$quote = $this->requests( '/rest/v1/credit/quote' )[0]['body'];
		$this->assertSame( (string) $this->user_id, $quote['customer']['external_id'] );
		$this->assertSame( '+989121234567', $quote['customer']['phone'], 'The account\'s phone, from Digits.' );
		$this->assertSame( '1200000', $quote['cart_total'] );
		$this->assertSame( 'IRT', $quote['currency'] );

		$this->plugin->credit->release_unfinished(); // End of the request: the checkout went through.
		$this->assertSame( 0.0, $this->balance(), 'A successful checkout keeps its hold.' );

		$this->end_request();
		$event = $this->queued( 'order.created' )[0];
		$this->assertSame( '120000', $event['data']['credit_used'] );
		$this->assertSame( '1080000', $event['data']['total'] );
		$this->assertSame( 'processing', $event['data']['status'] );
	}

	public function test_not_enough_credit_any_more_refuses_the_checkout_clearly() {
		$this->tick();
		// Another checkout spent most of it meanwhile.
		$this->server->configure( array( 'balances' => array( (string) $this->user_id => 30000 ) ) );
		$result = $this->place_order();
		$this->assertSame( 'failure', $result['result'] );
		$this->assertStringContainsString( 'no longer have enough store credit', $result['messages'] );
		$this->assertStringContainsString( '30,000', $result['messages'] );
		$this->assertTrue( $result['refresh'], 'The checkout refreshes its totals.' );
		$order = $this->last_order();
		$this->assertSame( '0', $order->get_meta( Revisit_Events::META_CREDIT_USED ) );
		$this->assertSame( 'refused', $order->get_meta( Revisit_Credit::META_STATE ) );
		$this->assertSame( array(), $order->get_fees(), 'The refused credit is off the pending order: it cannot be paid later at the lower price.' );
		$this->assertSame( 1200000.0, (float) $order->get_total() );
		$this->assertSame( 30000.0, $this->balance() );
		$this->assertSame( array(), $this->server->state()['holds'] );

		// Placing it again uses what is there now. (WooCommerce makes a new order: the refused one
		// never reached payment, so it was not marked for resuming; it stays pending, credit unused.)
		$this->tick();
		$this->assertSame( -30000.0, array_values( WC()->cart->get_fees() )[0]->total );
		$this->assertSame( 'success', $this->place_order()['result'] );
		$again = $this->last_order();
		$this->assertSame( '30000', $again->get_meta( Revisit_Events::META_CREDIT_USED ) );
		$this->assertSame( 'pending', wc_get_order( $order->get_id() )->get_status() );
		$this->assertSame( 0.0, $this->balance() );
	}

	public function test_without_an_answer_the_order_goes_through_without_the_credit() {
		$this->tick();
		$dead = 'http://127.0.0.1:' . Revisit_Test_Server::free_port();
		$this->filter(
			'revisit_api_url',
			static function () use ( $dead ) {
				return $dead;
			}
		);
		$result = $this->place_order();
		$this->assertSame( 'success', $result['result'] );
		$order = $this->last_order();
		$this->assertSame( 1200000.0, (float) $order->get_total(), 'Full price: the credit was not used.' );
		$this->assertSame( array(), $order->get_fees() );
		$this->assertSame( '0', $order->get_meta( Revisit_Events::META_CREDIT_USED ) );
		$this->assertSame( 'processing', $order->get_status() );
		$notices = wc_get_notices( 'notice' );
		$this->assertStringContainsString( 'could not confirm your store credit', $notices[0]['notice'] );
		$this->assertSame( 'no', WC()->session->get( Revisit_Credit::SESSION_USE ) );

		// In case Revisit took the hold but its answer was lost: a background release.
		$releases = $this->actions( Revisit_Credit::RELEASE_HOOK );
		$this->assertCount( 1, $releases );
		$this->assertSame( array( $order->get_id(), 0 ), $releases[0]['args'] );
	}

	public function test_a_hold_whose_answer_was_lost_is_released_in_the_background() {
		$this->tick();
		$this->filter(
			'revisit_checkout_timeout',
			static function () {
				return 1;
			}
		);
		$this->server->configure( array( 'mode' => 'slow', 'delay' => 2 ) );
		$this->assertSame( 'success', $this->place_order()['result'] );
		sleep( 2 );
		$order = $this->last_order();
		$this->assertSame( 0.0, $this->balance(), 'Revisit did take the hold.' );
		$this->assertSame( '0', $order->get_meta( Revisit_Events::META_CREDIT_USED ) );

		$this->server->configure( array( 'mode' => 'ok', 'delay' => 0 ) );
		$this->run_actions( time() + 120 ); // As if two minutes had passed.
		$this->assertSame( 120000.0, $this->balance() );
		$this->assertSame( 'released', wc_get_order( $order->get_id() )->get_meta( Revisit_Credit::META_STATE ) );
	}

	public function test_a_failed_payment_after_the_hold_gives_the_credit_back() {
		$this->tick();
		$result = $this->place_order( 'declined' );
		$this->assertSame( 'failure', $result['result'] );
		$this->assertSame( 0.0, $this->balance(), 'Held during the attempt.' );

		$this->plugin->credit->release_unfinished(); // End of the request.
		$this->assertSame( 120000.0, $this->balance() );
		$order = $this->last_order();
		$this->assertSame( '0', $order->get_meta( Revisit_Events::META_CREDIT_USED ) );
		$this->assertSame( 'released', $order->get_meta( Revisit_Credit::META_STATE ) );
		$this->assertSame( array(), $order->get_fees(), 'Off the order too: "Pay for order" would otherwise charge the discounted price with nothing held.' );
		$this->assertSame( 1200000.0, (float) $order->get_total() );

		// The shopper tries again with another card: same order, credit back on it and held again.
		$this->assertSame( 'success', $this->place_order()['result'] );
		$this->assertSame( $order->get_id(), $this->last_order()->get_id() );
		$this->assertSame( '120000', $this->last_order()->get_meta( Revisit_Events::META_CREDIT_USED ) );
		$this->assertSame( 1080000.0, (float) $this->last_order()->get_total() );
		$this->assertSame( 0.0, $this->balance() );
	}

	public function test_a_redirect_to_the_bank_keeps_the_hold() {
		$this->tick();
		$this->assertSame( 'success', $this->place_order( 'zarinpal' )['result'] );
		$this->plugin->credit->release_unfinished();
		$this->assertSame( 0.0, $this->balance() );
		$this->assertSame( 'pending', $this->last_order()->get_status() );
	}

	public function test_a_cancelled_order_gives_the_credit_back() {
		$this->tick();
		$this->place_order( 'zarinpal' );
		$this->plugin->credit->release_unfinished();
		$order = $this->last_order();
		$order->update_status( 'cancelled' );
		$this->assertSame( 0.0, $this->balance(), 'Released in the background, not in this request.' );
		$this->run_actions();
		$this->assertSame( 120000.0, $this->balance() );
		$order = wc_get_order( $order->get_id() );
		$this->assertSame( '0', $order->get_meta( Revisit_Events::META_CREDIT_USED ) );
		$this->assertContains( 'Revisit credit of 120000 IRT given back to the customer.', $this->order_notes( $order->get_id() ) );
		$this->assertCount( 1, $order->get_fees(), 'A cancelled order keeps its lines as a record.' );
	}

	public function test_guests_do_not_see_credit_unless_allowed() {
		$this->shop_as( 0 );
		WC()->cart->add_to_cart( $this->product( array( 'virtual' => true ) )->get_id(), 2 );
		$this->server->configure( array( 'balances' => array( '09121234567' => 50000 ) ) );
		$this->tick();
		$this->assertSame( '<div class="revisit-credit"></div>', trim( $this->checkout_box() ) );
		$this->assertSame( array(), $this->requests( '/rest/v1/credit/quote' ) );

		$this->filter( 'revisit_guest_credit_by_billing_phone', '__return_true' );
		$this->assertStringContainsString( '50,000', $this->checkout_box() );
	}

	public function test_a_slow_revisit_hides_the_box_quickly_and_is_not_asked_again_at_once() {
		$this->filter(
			'revisit_checkout_timeout',
			static function () {
				return 1;
			}
		);
		$this->server->configure( array( 'mode' => 'slow', 'delay' => 3 ) );
		$started = microtime( true );
		$this->assertStringNotContainsString( 'You have', $this->checkout_box() );
		$this->assertLessThan( 2.5, microtime( true ) - $started );
		$this->reset_object( $this->plugin->credit, array( 'quotes' ), array() ); // A new request.
		$this->checkout_box();
		$this->assertCount( 1, $this->requests( '/rest/v1/credit/quote' ) );
	}
}
