<?php
/**
 * Store credit in the block-based Cart and Checkout, through real Store API requests.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * What the Cart and Checkout blocks do, as REST requests to WooCommerce's Store API
 * (`/wc/store/v1/cart`, `/cart/extensions`, `/checkout`), with the same hold, capture and release
 * as the classic checkout.
 */
class Test_Block_Checkout extends Revisit_TestCase {

	/**
	 * The shopper.
	 *
	 * @var int
	 */
	private $user_id;

	/**
	 * Given for every test: a logged-in customer with 120,000 of credit in Revisit, taxes on (9%,
	 * prices without tax) and a cart of two virtual products of 600,000, added through the Store API.
	 */
	protected function setUp(): void {
		parent::setUp();
		update_option( 'woocommerce_calc_taxes', 'yes' );
		update_option( 'woocommerce_prices_include_tax', 'no' );
		WC_Tax::_insert_tax_rate(
			array(
				'tax_rate_country'  => '',
				'tax_rate'          => '9.0000',
				'tax_rate_name'     => 'VAT',
				'tax_rate_priority' => 1,
				'tax_rate_compound' => 0,
				'tax_rate_shipping' => 1,
				'tax_rate_order'    => 1,
				'tax_rate_class'    => '',
			)
		);
		$this->user_id = $this->customer( array( 'billing_phone' => '09121234567' ) );
		$this->shop_as( $this->user_id );
		$this->server->configure( array( 'balances' => array( (string) $this->user_id => 120000 ) ) );
		$product = $this->product(
			array(
				'price'   => '600000',
				'virtual' => true,
			)
		);
		$added = $this->store_api( 'POST', '/wc/store/v1/cart/add-item', array( 'id' => $product->get_id(), 'quantity' => 2 ) );
		$this->assertSame( 201, $added->get_status(), wp_json_encode( $this->data( $added ) ) );
	}

	/**
	 * Taxes off again, rates removed (other tests expect a store without tax).
	 */
	protected function tearDown(): void {
		global $wpdb;
		$wpdb->query( "DELETE FROM {$wpdb->prefix}woocommerce_tax_rates" ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		WC_Cache_Helper::invalidate_cache_group( 'taxes' );
		update_option( 'woocommerce_calc_taxes', 'no' );
		parent::tearDown();
	}

	/**
	 * Given the cart, when the Cart block loads it (`GET /cart`), then `extensions.revisit` says the
	 * shopper has 120,000 of credit, usable up to 120,000, not applied, with the texts to show.
	 */
	public function test_the_cart_shows_the_available_credit() {
		// when
		$cart = $this->data( $this->store_api( 'GET', '/wc/store/v1/cart' ) );

		// then
		$credit = $cart['extensions']['revisit'];
		$this->assertTrue( $credit['show'] );
		$this->assertSame( '120000', $credit['available'] );
		$this->assertSame( '120000', $credit['max_usable'] );
		$this->assertFalse( $credit['applied'] );
		$this->assertStringContainsString( '120,000', $credit['message'] );
		$this->assertStringNotContainsString( '<', $credit['message'], 'Plain text for the block.' );
		$this->assertStringContainsString( '120,000', $credit['label'] );
		$this->assertSame( array(), $cart['fees'] );
	}

	/**
	 * Given the cart, when the shopper ticks "use my credit" (`POST /cart/extensions`, namespace
	 * revisit), then the cart has a "Store credit" line of -120,000 with no tax on it, the tax is
	 * still 9% of the products, and the total is products plus tax minus the credit; unticking takes
	 * the line off again.
	 */
	public function test_applying_the_credit_adds_an_untaxed_credit_line_and_removing_it_takes_it_off() {
		// when
		$response = $this->apply_credit( true );

		// then
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $this->data( $response ) ) );
		$cart = $this->data( $response );
		$this->assertTrue( $cart['extensions']['revisit']['applied'] );
		$this->assertCount( 1, $cart['fees'] );
		$this->assertSame( 'Store credit', $cart['fees'][0]['name'] );
		$this->assertSame( '-120000', $cart['fees'][0]['totals']['total'] );
		$this->assertSame( '0', $cart['fees'][0]['totals']['total_tax'], 'No tax on the credit line.' );
		$this->assertSame( '108000', $cart['totals']['total_tax'], '9% of the products only.' );
		$this->assertSame( '-120000', $cart['totals']['total_fees'] );
		$this->assertSame( '0', $cart['totals']['total_fees_tax'] );
		$this->assertSame( (string) ( 1200000 + 108000 - 120000 ), $cart['totals']['total_price'] );

		// when
		$removed = $this->data( $this->apply_credit( false ) );

		// then
		$this->assertFalse( $removed['extensions']['revisit']['applied'] );
		$this->assertSame( array(), $removed['fees'] );
		$this->assertSame( (string) ( 1200000 + 108000 ), $removed['totals']['total_price'] );
	}

	/**
	 * Given the cart, when `cart/extensions` is sent a `use_credit` that is not a boolean, or no
	 * `use_credit` at all, then the answer is a 400 with the code `revisit_invalid_request` and the
	 * cart is unchanged.
	 */
	public function test_bad_input_is_refused_with_a_typed_error_and_changes_nothing() {
		foreach ( array( array( 'use_credit' => 'yes' ), array( 'use_credit' => 1 ), array() ) as $data ) {
			// when
			$response = $this->store_api(
				'POST',
				'/wc/store/v1/cart/extensions',
				array(
					'namespace' => 'revisit',
					'data'      => $data,
				)
			);

			// then
			$this->assertSame( 400, $response->get_status(), wp_json_encode( $data ) );
			$this->assertSame( 'revisit_invalid_request', $this->data( $response )['code'] );
			$cart = $this->data( $this->store_api( 'GET', '/wc/store/v1/cart' ) );
			$this->assertFalse( $cart['extensions']['revisit']['applied'] );
			$this->assertSame( array(), $cart['fees'] );
		}
	}

	/**
	 * Given a shopper with no credit, when they ask to use it, then the answer is a 400
	 * `revisit_no_credit`, the cart shows no credit, and no line is added.
	 */
	public function test_asking_for_credit_one_does_not_have_is_refused() {
		// given
		$this->server->configure( array( 'balances' => array( (string) $this->user_id => 0 ) ) );
		$this->plugin->credit->forget_quote();

		// when
		$response = $this->apply_credit( true );

		// then
		$this->assertSame( 400, $response->get_status() );
		$this->assertSame( 'revisit_no_credit', $this->data( $response )['code'] );
		$cart = $this->data( $this->store_api( 'GET', '/wc/store/v1/cart' ) );
		$this->assertFalse( $cart['extensions']['revisit']['show'] );
		$this->assertSame( array(), $cart['fees'] );
	}

	/**
	 * Given the credit applied, when the Checkout block places the order (`POST /checkout`, a gateway
	 * that pays at once), then the order has the credit line (untaxed), Revisit holds 120,000 for it,
	 * the order records the credit used, and after the payment the hold stays (the order event with
	 * credit_used lets Revisit capture it).
	 */
	public function test_placing_the_order_holds_the_credit_and_keeps_it_after_payment() {
		// given
		$this->apply_credit( true );

		// when
		$response = $this->checkout( 'bank' );

		// then
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $this->data( $response ) ) );
		$this->assertSame( 'success', $this->data( $response )['payment_result']['payment_status'] );
		$order = wc_get_order( $this->data( $response )['order_id'] );
		$this->assertSame( '120000', $order->get_meta( Revisit_Events::META_CREDIT_USED ) );
		$this->assertSame( 'held', $order->get_meta( Revisit_Credit::META_STATE ) );
		$fees = array_values( $order->get_fees() );
		$this->assertCount( 1, $fees );
		$this->assertSame( 'yes', $fees[0]->get_meta( Revisit_Credit::FEE_META ) );
		$this->assertEquals( -120000, (float) $fees[0]->get_total() );
		$this->assertEquals( 0, (float) $fees[0]->get_total_tax(), 'No tax on the credit line.' );
		$this->assertEquals( 1200000 + 108000 - 120000, (float) $order->get_total() );
		$holds = $this->server->state()['holds'];
		$this->assertEquals( 120000, $holds[ (string) $order->get_id() ]['amount'] );

		// when the request ends
		$this->plugin->credit->release_unfinished();
		$this->end_request();

		// then
		$this->assertArrayHasKey( (string) $order->get_id(), $this->server->state()['holds'], 'A paid order keeps its hold.' );
		$events = $this->queued( 'order.created' );
		$this->assertSame( '120000', end( $events )['data']['credit_used'] );
	}

	/**
	 * Given the credit applied and then spent elsewhere (Revisit has only 30,000 left), when the
	 * Checkout block places the order, then the checkout is refused with a 409
	 * `revisit_credit_insufficient` and the classic checkout's message, nothing is held, and the
	 * pending order keeps no credit line.
	 */
	public function test_not_enough_credit_any_more_refuses_the_checkout_with_the_classic_message() {
		// given
		$this->apply_credit( true );
		$this->server->configure( array( 'balances' => array( (string) $this->user_id => 30000 ) ) );

		// when
		$response = $this->checkout( 'bank' );

		// then
		$this->assertSame( 409, $response->get_status(), wp_json_encode( $this->data( $response ) ) );
		$this->assertSame( 'revisit_credit_insufficient', $this->data( $response )['code'] );
		$this->assertStringContainsString( 'no longer have enough store credit', $this->data( $response )['message'] );
		$this->assertStringContainsString( '30,000', $this->data( $response )['message'] );
		$this->assertSame( array(), $this->server->state()['holds'] );
		$order = $this->draft_order();
		$this->assertSame( array(), array_values( $order->get_fees() ), 'No credit line left on the order.' );
		$this->assertSame( 'refused', $order->get_meta( Revisit_Credit::META_STATE ) );
	}

	/**
	 * Given the credit applied, when the card is declined at the Checkout block, then at the end of
	 * the request the credit is given back to the customer and taken off the unpaid order.
	 */
	public function test_a_declined_payment_gives_the_credit_back() {
		// given
		$this->apply_credit( true );

		// when
		$response = $this->checkout( 'declined' );
		$this->plugin->credit->release_unfinished();

		// then
		$this->assertNotSame( 'success', isset( $this->data( $response )['payment_result']['payment_status'] ) ? $this->data( $response )['payment_result']['payment_status'] : '' );
		$this->assertSame( array(), $this->server->state()['holds'], 'The hold was released.' );
		$this->assertEquals( 120000, $this->server->state()['config']['balances'][ (string) $this->user_id ] );
		$order = $this->draft_order();
		$this->assertSame( 'released', $order->get_meta( Revisit_Credit::META_STATE ) );
		$this->assertSame( array(), array_values( $order->get_fees() ) );
	}

	/**
	 * Given the credit applied, when Revisit does not answer at checkout, then the order goes through
	 * without the credit (the classic checkout's behaviour) and a background release is scheduled in
	 * case the hold was taken but its answer lost.
	 */
	public function test_without_an_answer_the_order_goes_through_without_the_credit() {
		// given
		$this->apply_credit( true );
		$this->server->configure( array( 'mode' => 'fail' ) );

		// when
		$response = $this->checkout( 'bank' );

		// then
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $this->data( $response ) ) );
		$order = wc_get_order( $this->data( $response )['order_id'] );
		$this->assertSame( 'unconfirmed', $order->get_meta( Revisit_Credit::META_STATE ) );
		$this->assertSame( array(), array_values( $order->get_fees() ) );
		$this->assertEquals( 1200000 + 108000, (float) $order->get_total() );
		$this->assertNotEmpty( $this->actions( Revisit_Credit::RELEASE_HOOK ), 'A background release is scheduled.' );
	}

	/**
	 * Given WooCommerce Blocks, when the Checkout and Cart blocks register their integrations, then
	 * the plugin's script is registered for the front end, depends on WooCommerce's checkout
	 * package, and is a plain file of the plugin.
	 */
	public function test_the_block_script_is_registered_through_the_integration_registry() {
		// given
		require_once REVISIT_WC_DIR . 'includes/class-revisit-credit-blocks.php';
		foreach ( array( 'cart', 'checkout' ) as $block ) {
			$registry = new Automattic\WooCommerce\Blocks\Integrations\IntegrationRegistry();

			// when
			$registry->initialize( $block . '_block' );

			// then
			$this->assertTrue( $registry->is_registered( 'revisit-credit' ), $block );
			$this->assertContains( Revisit_Credit_Blocks::HANDLE, $registry->get_all_registered_script_handles() );
		}
		$script = wp_scripts()->query( Revisit_Credit_Blocks::HANDLE, 'registered' );
		$this->assertNotFalse( $script );
		$this->assertContains( 'wc-blocks-checkout', $script->deps );
		$this->assertFileExists( REVISIT_WC_DIR . 'assets/revisit-credit-blocks.js' );
		$this->assertStringContainsString( 'extensionCartUpdate', (string) file_get_contents( REVISIT_WC_DIR . 'assets/revisit-credit-blocks.js' ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents
	}

	/**
	 * Tick or untick "use my credit" as the block's checkbox does.
	 *
	 * @param bool $use Use it.
	 * @return WP_REST_Response
	 */
	private function apply_credit( $use ) {
		return $this->store_api(
			'POST',
			'/wc/store/v1/cart/extensions',
			array(
				'namespace' => 'revisit',
				'data'      => array( 'use_credit' => (bool) $use ),
			)
		);
	}

	/**
	 * Place the order as the Checkout block does.
	 *
	 * @param string $gateway Payment method.
	 * @return WP_REST_Response
	 */
	private function checkout( $gateway ) {
		$address = array(
			'first_name' => 'سارا',
			'last_name'  => 'احمدی',
			'address_1'  => 'خیابان ولیعصر',
			'city'       => 'تهران',
			'state'      => 'THR',
			'postcode'   => '1234567890',
			'country'    => 'IR',
			'email'      => 'sara@example.com',
			'phone'      => '09121234567',
		);
		return $this->store_api(
			'POST',
			'/wc/store/v1/checkout',
			array(
				'billing_address'  => $address,
				'shipping_address' => $address,
				'payment_method'   => $gateway,
			)
		);
	}

	/**
	 * The shopper's order that the checkout left behind (draft, pending or failed).
	 *
	 * @return WC_Order
	 */
	private function draft_order() {
		$orders = wc_get_orders(
			array(
				'customer_id' => $this->user_id,
				'status'      => array( 'checkout-draft', 'pending', 'failed' ),
				'limit'       => 1,
				'orderby'     => 'ID',
				'order'       => 'DESC',
			)
		);
		$this->assertNotEmpty( $orders );
		return $orders[0];
	}

	/**
	 * A response's data as the browser gets it (JSON, decoded to arrays).
	 *
	 * @param WP_REST_Response $response Response.
	 * @return array
	 */
	private function data( $response ) {
		return json_decode( (string) wp_json_encode( rest_get_server()->response_to_data( $response, false ) ), true );
	}

	/**
	 * One Store API request, with the nonce the blocks send.
	 *
	 * @param string $method Method.
	 * @param string $route  Route.
	 * @param array  $body   JSON body.
	 * @return WP_REST_Response
	 */
	private function store_api( $method, $route, array $body = array() ) {
		$request = new WP_REST_Request( $method, $route );
		$request->set_header( 'Nonce', wp_create_nonce( 'wc_store_api' ) );
		if ( $body ) {
			$request->set_header( 'Content-Type', 'application/json' );
			$request->set_body( wp_json_encode( $body ) );
		}
		return rest_do_request( $request );
	}
}
