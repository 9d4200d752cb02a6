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
					'CAPPED15'  => array(
						'valid'         => true,
						'discount_type' => 'percent',
						'amount'        => '15',
						'discount'      => '80000',
						'free_shipping' => false,
						'message'       => 'Winback',
					),
					'SHIPFREE'  => array(
						'valid'         => true,
						'discount_type' => 'fixed_cart',
						'amount'        => '0',
						'discount'      => '0',
						'free_shipping' => true,
					),
					'NEGATIVE'  => array(
						'valid'         => true,
						'discount_type' => 'fixed_cart',
						'amount'        => '10',
						'discount'      => '-10',
					),
					'SARAS'     => array(
						'valid'   => false,
						'reason'  => 'not_your_code',
						'message' => 'This code belongs to another customer.',
					),
					'ONCE'      => array(
						'valid'   => false,
						'reason'  => 'used_up_for_customer',
						'message' => 'You have already used this code.',
					),
					'WELCOME'   => array(
						'valid'   => false,
						'reason'  => 'first_order_only',
						'message' => 'This code is for a first order only.',
					),
					'TEAONLY'   => array(
						'valid'   => false,
						'reason'  => 'no_eligible_products',
						'message' => 'This code does not apply to the products in your cart.',
					),
					'WITHDRAWN' => array(
						'valid'   => false,
						'reason'  => 'revoked',
						'message' => 'This code has been withdrawn.',
					),
					'LATER'     => array(
						'valid'   => false,
						'reason'  => 'not_yet_valid',
						'message' => 'This code is not valid yet.',
					),
					'MINIMUM'   => array(
						'valid'   => false,
						'reason'  => 'below_minimum',
						'message' => 'Your cart does not reach the minimum for this code.',
					),
					'NEWREASON' => array(
						'valid'   => false,
						'reason'  => 'some_future_reason',
						'message' => 'A reason this plugin does not know yet.',
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
		$this->assertFalse( WC()->cart->apply_coupon( 'NEGATIVE' ) );
	}

	public function test_the_discount_revisit_computed_for_the_cart_is_what_the_cart_gets() {
		// 15 % of 1,200,000 would be 180,000; Revisit capped it at 80,000 for this cart.
		$this->assertTrue( WC()->cart->apply_coupon( 'capped15' ) );
		$this->assertSame( 80000.0, (float) WC()->cart->get_discount_total() );
		$coupon = WC()->cart->get_coupons()['capped15'];
		$this->assertSame( 'fixed_cart', $coupon->get_discount_type() );
		$this->assertFalse( $coupon->get_free_shipping() );
	}

	public function test_a_free_shipping_code_takes_nothing_off_the_items() {
		$this->assertTrue( WC()->cart->apply_coupon( 'shipfree' ) );
		$this->assertSame( 0.0, (float) WC()->cart->get_discount_total() );
		$this->assertTrue( WC()->cart->get_coupons()['shipfree']->get_free_shipping() );
	}

	/**
	 * Each reason Revisit gives, and what the shopper reads.
	 *
	 * @return array
	 */
	public function refusals() {
		return array(
			'another customer'   => array( 'SARAS', 'This code is not valid for your account.' ),
			'used by them'       => array( 'ONCE', 'You have already used this code.' ),
			'first order only'   => array( 'WELCOME', 'This code is for a first order only.' ),
			'no such products'   => array( 'TEAONLY', 'This code does not apply to the products in your cart.' ),
			'withdrawn'          => array( 'WITHDRAWN', 'This code has been withdrawn.' ),
			'not yet'            => array( 'LATER', 'This code is not valid yet.' ),
			'below the minimum'  => array( 'MINIMUM', 'Your cart does not meet the minimum for this code.' ),
			'an unknown reason'  => array( 'NEWREASON', 'A reason this plugin does not know yet.' ),
		);
	}

	/**
	 * @dataProvider refusals
	 *
	 * @param string $code    The code.
	 * @param string $message What the shopper reads.
	 */
	public function test_a_refused_code_says_exactly_why( $code, $message ) {
		$this->assertFalse( WC()->cart->apply_coupon( $code ) );
		$this->assertSame( $message, $this->errors() );
	}

	public function test_the_reasons_are_translated_for_persian_shoppers() {
		$persian = static function ( $locale, $domain ) {
			return 'revisit-woocommerce' === $domain ? 'fa_IR' : $locale;
		};
		$this->filter( 'plugin_locale', $persian, 10, 2 );
		unload_textdomain( 'revisit-woocommerce' );
		$this->plugin->load_textdomain();
		try {
			$this->assertFalse( WC()->cart->apply_coupon( 'WELCOME' ) );
			$this->assertSame( 'این کد فقط برای نخستین سفارش است.', $this->errors() );
		} finally {
			unload_textdomain( 'revisit-woocommerce' );
		}
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
		$product_id = (int) array_values( WC()->cart->get_cart() )[0]['product_id'];
		WC()->cart->apply_coupon( 'SPRING' );
		$requests = $this->requests( '/rest/v1/coupons/validate' );
		$this->assertCount( 1, $requests );
		$this->assertSame( 'Bearer ' . REVISIT_TEST_KEY, $requests[0]['authorization'] );
		$this->assertSame(
			array(
				'code'           => 'spring',
				'customer'       => array(
					'external_id' => (string) $user_id,
					'phone'       => '+989121234567',
					'email'       => get_userdata( $user_id )->user_email,
				),
				'cart_total'     => '1200000',
				'currency'       => 'IRT',
				'lines'          => array(
					array(
						'product_id'   => (string) $product_id,
						'total'        => '1200000',
						'category_ids' => array_map( 'strval', wc_get_product( $product_id )->get_category_ids() ),
					),
				),
				'shipping_total' => '0',
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
