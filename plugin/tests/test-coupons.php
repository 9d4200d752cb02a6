<?php
/**
 * Revisit coupon codes at checkout (woocommerce_get_shop_coupon_data), and clear refusals.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Coupons.
 */
class Coupons_Test extends Revisit_TestCase {

	/**
	 * A cart of 1,200,000.
	 */
	protected function setUp(): void {
		parent::setUp();
		$this->fill_cart();
		$this->server->configure(
			array(
				'coupons' => array(
					'YALDA1403' => array(
						'valid'         => true,
						'discount_type' => 'fixed_cart',
						'amount'        => '100000',
						'message'       => 'Yalda gift',
					),
					'SPRING'    => array(
						'valid'         => true,
						'discount_type' => 'percent',
						'amount'        => '10',
					),
					'OLDCODE'   => array(
						'valid'   => false,
						'reason'  => 'expired',
						'message' => 'This code expired on 1403/10/01.',
					),
					'BROKEN'    => array(
						'valid'         => true,
						'discount_type' => 'percent',
						'amount'        => '150',
					),
				),
			)
		);
	}

	/**
	 * The error notices shown to the shopper.
	 *
	 * @return string
	 */
	private function errors() {
		return implode( ' | ', wp_list_pluck( wc_get_notices( 'error' ), 'notice' ) );
	}

	/**
	 * Two teas (1,200,000) in the cart (virtual: no shipping to choose).
	 */
	private function fill_cart() {
		$product = $this->product(
			array(
				'price'   => '600000',
				'virtual' => true,
			)
		);
		WC()->cart->add_to_cart( $product->get_id(), 2 );
	}

	/**
	 * Send Revisit calls to a port nobody listens on.
	 */
	private function revisit_unreachable() {
		$dead = 'http://127.0.0.1:' . Revisit_Test_Server::free_port();
		$this->filter(
			'revisit_api_url',
			static function () use ( $dead ) {
				return $dead;
			}
		);
	}

	public function test_the_stores_own_coupons_never_ask_revisit() {
		$coupon = new WC_Coupon();
		$coupon->set_code( 'store10' );
		$coupon->set_discount_type( 'percent' );
		$coupon->set_amount( '10' );
		$coupon->save();
		$this->assertTrue( WC()->cart->apply_coupon( 'STORE10' ) );
		$this->assertSame( 120000.0, (float) WC()->cart->get_discount_total() );
		$this->assertSame( array(), $this->requests( '/rest/v1/coupons/validate' ) );
	}

	public function test_a_revisit_code_works_without_being_copied_into_the_store() {
		$user_id = $this->customer();
		$this->shop_as( $user_id );
		$this->fill_cart();
		$this->assertTrue( WC()->cart->apply_coupon( 'YALDA1403' ) );
		$this->assertSame( 100000.0, (float) WC()->cart->get_discount_total() );
		$this->assertSame( 1100000.0, (float) WC()->cart->get_total( 'edit' ) );
		$coupon = WC()->cart->get_coupons()['yalda1403'];
		$this->assertTrue( $coupon->get_virtual() );

		// Recalculating (every page load) does not ask again.
		WC()->cart->calculate_totals();
		WC()->cart->calculate_totals();
		$requests = $this->requests( '/rest/v1/coupons/validate' );
		$this->assertCount( 1, $requests );

		$result = $this->place_checkout( array( 'payment_method' => 'bank' ) );
		$this->assertSame( 'success', $result['result'] );
		$this->end_request();
		$event = $this->queued( 'order.created' )[0];
		$this->assertSame( array( 'yalda1403' ), $event['data']['coupon_codes'] );
		$this->assertSame( '100000', $event['data']['discount_total'] );
	}

	public function test_percent_codes_work_too() {
		$this->assertTrue( WC()->cart->apply_coupon( 'spring' ) );
		$this->assertSame( 120000.0, (float) WC()->cart->get_discount_total() );
	}

	public function test_an_unknown_code_gets_woocommerces_usual_message() {
		$this->assertFalse( WC()->cart->apply_coupon( 'NOPE' ) );
		$this->assertStringContainsString( 'does not exist', $this->errors() );
	}

	public function test_an_expired_code_says_so() {
		$this->assertFalse( WC()->cart->apply_coupon( 'OLDCODE' ) );
		$this->assertSame( 'This code has expired.', $this->errors() );
	}

	public function test_an_answer_that_makes_no_sense_is_not_a_coupon() {
		$this->assertFalse( WC()->cart->apply_coupon( 'BROKEN' ) );
	}

	public function test_unreachable_revisit_refuses_the_code_clearly_and_checkout_still_works() {
		$this->revisit_unreachable();
		$started = microtime( true );
		$this->assertFalse( WC()->cart->apply_coupon( 'YALDA1403' ) );
		$this->assertLessThan( 2, microtime( true ) - $started );
		$this->assertSame( 'We could not check the code &quot;yalda1403&quot; right now. Please try again in a moment, or complete your order without it.', $this->errors() );
		wc_clear_notices();

		$result = $this->place_checkout( array( 'payment_method' => 'bank' ) );
		$this->assertSame( 'success', $result['result'] );
		$this->assertSame( 1200000.0, (float) $this->last_order_total() );
	}

	public function test_a_slow_revisit_is_not_waited_for() {
		$this->filter(
			'revisit_checkout_timeout',
			static function () {
				return 1;
			}
		);
		$this->server->configure( array( 'mode' => 'slow', 'delay' => 3 ) );
		$started = microtime( true );
		$this->assertFalse( WC()->cart->apply_coupon( 'YALDA1403' ) );
		$this->assertLessThan( 2.5, microtime( true ) - $started );
		$this->assertStringContainsString( 'We could not check the code', $this->errors() );
	}

	public function test_wp_admin_order_screens_do_not_ask_revisit() {
		$this->filter( 'revisit_resolve_coupons', '__return_false' );
		$this->assertFalse( WC()->cart->apply_coupon( 'YALDA1403' ) );
		$this->assertSame( array(), $this->requests( '/rest/v1/coupons/validate' ) );
	}

	public function test_the_shopper_and_cart_are_sent_with_the_code() {
		$user_id = $this->customer( array( 'digits_phone' => '+989121234567' ) );
		$this->shop_as( $user_id );
		$this->fill_cart();
		WC()->cart->apply_coupon( 'SPRING' );
		$requests = $this->requests( '/rest/v1/coupons/validate' );
		$this->assertCount( 1, $requests );
		$this->assertSame( 'Bearer ' . REVISIT_TEST_KEY, $requests[0]['authorization'] );
		$this->assertSame(
			array(
				'code'       => 'spring',
				'customer'   => array(
					'external_id' => (string) $user_id,
					'phone'       => '+989121234567',
					'email'       => get_userdata( $user_id )->user_email,
				),
				'cart_total' => '1200000',
				'currency'   => 'IRT',
			),
			$requests[0]['body']
		);
	}

	/**
	 * The newest order's total.
	 *
	 * @return string
	 */
	private function last_order_total() {
		$ids = wc_get_orders(
			array(
				'limit'  => 1,
				'order'  => 'DESC',
				'return' => 'ids',
			)
		);
		return wc_get_order( $ids[0] )->get_total();
	}
}
