<?php
/**
 * What the events contain: the unified schema, built from CRUD getters.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Events.
 */
class Events_Test extends Revisit_TestCase {

	public function test_order_event_is_the_whole_order_in_the_unified_schema() {
		$user_id = $this->customer( array( 'digits_phone' => '+989351112233' ) );
		$order   = $this->order(
			array(
				'customer_id' => $user_id,
				'discount'    => 50000,
			)
		);
		$coupon = new WC_Order_Item_Coupon();
		$coupon->set_code( 'YALDA1403' );
		$order->add_item( $coupon );
		$order->update_meta_data( Revisit_Events::META_CREDIT_USED, '30000' );
		$order->set_status( 'processing' );
		$order->save();
		$this->end_request();

		$events = $this->queued( 'order.created' );
		$this->assertCount( 1, $events );
		$event = $events[0];
		$this->assertSame( 1, $event['schema_version'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+03:30$/', $event['occurred_at'], 'ISO 8601 with the store\'s offset (Tehran).' );
		$data = $event['data'];
		$this->assertSame( (string) $order->get_id(), $data['external_id'] );
		$this->assertSame( 'processing', $data['status'] );
		$this->assertSame( 'IRT', $data['currency'] );
		$this->assertSame( '1200000', $data['subtotal'] );
		$this->assertSame( '50000', $data['discount_total'] );
		$this->assertSame( '50000', $data['shipping_total'] );
		$this->assertSame( '1200000', $data['total'] );
		$this->assertSame( '0', $data['tax_total'] );
		$this->assertSame( '30000', $data['credit_used'] );
		$this->assertSame( array( 'yalda1403' ), $data['coupon_codes'] );
		$this->assertSame(
			array(
				'product_id'   => $data['items'][0]['product_id'],
				'name'         => 'چای ماسالا',
				'sku'          => 'TEA-500',
				'quantity'     => 2,
				'total'        => '1150000',
				'category_ids' => array( (string) $this->category() ),
			),
			$data['items'][0]
		);
		$this->assertSame( '09121234567', $data['billing']['phone'] );
		$this->assertSame( 'تهران', $data['billing']['city'] );
		$this->assertSame( (string) $user_id, $data['customer']['external_id'] );
		$this->assertSame( '09121234567', $data['customer']['phone'], 'The order\'s billing phone comes first.' );
		$this->assertMatchesRegularExpression( '/\+03:30$/', $data['created_at'] );
		$this->assertNull( $data['completed_at'] );
		foreach ( array( 'total', 'subtotal', 'discount_total', 'shipping_total', 'tax_total', 'credit_used' ) as $field ) {
			$this->assertIsString( $data[ $field ], "$field is a decimal string" );
		}
	}

	public function test_decimal_stores_send_two_decimals_and_their_own_currency() {
		update_option( 'woocommerce_price_num_decimals', '2' );
		update_option( 'woocommerce_currency', 'USD' );
		try {
			$order = $this->order( array( 'price' => 19.99, 'quantity' => 3, 'shipping' => 4.5 ) );
			$this->end_request();
			$data = $this->queued()[0]['data'];
			$this->assertSame( 'USD', $data['currency'] );
			$this->assertSame( '64.47', $data['total'] );
			$this->assertSame( '59.97', $data['items'][0]['total'] );
		} finally {
			update_option( 'woocommerce_price_num_decimals', '0' );
			update_option( 'woocommerce_currency', 'IRT' );
		}
	}

	public function test_a_guest_order_has_no_customer_id_but_phone_and_email() {
		$this->order( array( 'billing_phone' => '۰۹۱۲ ۱۲۳ ۴۵۶۷' ) );
		$this->end_request();
		$customer = $this->queued()[0]['data']['customer'];
		$this->assertNull( $customer['external_id'] );
		$this->assertSame( '09121234567', $customer['phone'] );
		$this->assertSame( 'sara@example.com', $customer['email'] );
	}

	public function test_status_changes_are_order_updated_events() {
		$order = $this->order();
		$this->end_request();
		sleep( 1 );
		$order = wc_get_order( $order->get_id() );
		$order->update_status( 'on-hold' );
		$this->end_request();
		sleep( 1 );
		$order = wc_get_order( $order->get_id() );
		$order->update_status( 'completed' );
		$this->end_request();

		$this->assertSame( array( 'order.created', 'order.updated', 'order.updated' ), wp_list_pluck( $this->rows(), 'type' ) );
		$events = $this->queued();
		$this->assertSame( array( 'pending', 'on-hold', 'completed' ), array_map( static function ( $e ) {
			return $e['data']['status'];
		}, $events ) );
		$this->assertMatchesRegularExpression( '/\+03:30$/', $events[2]['data']['completed_at'] );
	}

	public function test_an_edit_without_a_status_change_is_sent_too() {
		$order = $this->order( array( 'status' => 'processing' ) );
		$this->end_request();
		sleep( 1 );
		$order = wc_get_order( $order->get_id() );
		$order->set_billing_phone( '09350000000' );
		$order->save();
		$this->end_request();
		$events = $this->queued();
		$this->assertCount( 2, $events );
		$this->assertSame( '09350000000', $events[1]['data']['billing']['phone'] );
	}

	public function test_each_refund_is_one_event_with_its_amount_and_reason() {
		$order = $this->order( array( 'status' => 'processing' ) );
		$this->end_request();
		$first  = wc_create_refund( array( 'order_id' => $order->get_id(), 'amount' => '200000', 'reason' => 'مرجوعی' ) );
		$this->end_request();
		$second = wc_create_refund( array( 'order_id' => $order->get_id(), 'amount' => '1050000' ) );
		// WooCommerce fires the hook again for the same refund in some flows: still one event.
		do_action( 'woocommerce_order_refunded', $order->get_id(), $first->get_id() );
		$this->end_request();

		$refunds = $this->queued( 'order.refunded' );
		$this->assertCount( 2, $refunds );
		$this->assertSame( 'refund-' . $first->get_id(), $refunds[0]['id'] );
		$this->assertSame(
			array(
				'order_external_id' => (string) $order->get_id(),
				'refund_id'         => (string) $first->get_id(),
				'amount'            => '200000',
				'currency'          => 'IRT',
				'reason'            => 'مرجوعی',
			),
			$refunds[0]['data']
		);
		$this->assertNull( $refunds[1]['data']['reason'] );
		// A partial refund leaves the order's status as it was: WooCommerce saves the order with every
		// refund, and with posts storage WordPress stamps it modified, so an order.updated in the same
		// status may come with it. The full refund changes the status, and that order event is queued
		// before the refund's.
		$sequence = array();
		foreach ( $this->queued() as $event ) {
			$status = isset( $event['data']['status'] ) ? $event['data']['status'] : null;
			if ( 'order.updated' !== $event['type'] || 'processing' !== $status ) {
				$sequence[] = $event['type'] . ( $status ? ':' . $status : '' );
			}
		}
		$this->assertSame( array( 'order.created:processing', 'order.refunded', 'order.updated:refunded', 'order.refunded' ), $sequence );
	}

	public function test_payment_completed_carries_the_transaction() {
		$order = $this->order();
		$order->payment_complete( 'A000000000000000000000000000123456789' );
		$this->end_request();

		$types = wp_list_pluck( $this->rows(), 'type' );
		$this->assertSame( array( 'order.created', 'payment.completed' ), $types, 'The order first, then its payment.' );
		$payment = $this->queued( 'payment.completed' )[0];
		$this->assertSame( (string) $order->get_id(), $payment['data']['order_external_id'] );
		$this->assertSame( 'A000000000000000000000000000123456789', $payment['data']['transaction_id'] );
		$this->assertSame( '1250000', $payment['data']['amount'] );
		$this->assertSame( 'IRT', $payment['data']['currency'] );
		$this->assertSame( 'zarinpal', $payment['data']['method'] );
		$this->assertMatchesRegularExpression( '/\+03:30$/', $payment['data']['paid_at'] );
		$this->assertSame( 'processing', $this->queued( 'order.created' )[0]['data']['status'] );
	}

	public function test_custom_statuses_map_to_what_revisit_knows_and_drafts_are_not_sent() {
		// A store's own statuses, registered as a status plugin does (WooCommerce keeps an order
		// "pending" when told to take a status it does not know).
		$this->filter(
			'wc_order_statuses',
			static function ( $statuses ) {
				$statuses['wc-shipped']         = 'Shipped';
				$statuses['wc-awaiting-review'] = 'Awaiting review';
				return $statuses;
			}
		);
		foreach ( array( 'wc-shipped', 'wc-awaiting-review' ) as $status ) {
			register_post_status(
				$status,
				array(
					'label'                  => $status,
					'public'                 => false,
					'exclude_from_search'    => false,
					'show_in_admin_all_list' => true,
				)
			);
		}
		$this->filter(
			'woocommerce_order_is_paid_statuses',
			static function ( $statuses ) {
				$statuses[] = 'shipped';
				return $statuses;
			}
		);
		$shipped = $this->order( array( 'status' => 'shipped' ) );
		$review  = $this->order( array( 'status' => 'awaiting-review' ) );
		$draft   = $this->order( array( 'status' => 'checkout-draft' ) );
		$this->end_request();
		$by_order = array();
		foreach ( $this->queued() as $event ) {
			$by_order[ (int) $event['data']['external_id'] ] = $event['data']['status'];
		}
		$this->assertSame( 'processing', $by_order[ $shipped->get_id() ] );
		$this->assertSame( 'on-hold', $by_order[ $review->get_id() ] );
		$this->assertArrayNotHasKey( $draft->get_id(), $by_order );

		$this->filter(
			'revisit_order_status',
			static function ( $status, $raw ) {
				return 'shipped' === $raw ? 'completed' : $status;
			},
			10,
			2
		);
		$this->assertSame( 'completed', $this->plugin->events->order_status( wc_get_order( $shipped->get_id() ) ) );
	}

	public function test_payload_filters_can_change_or_drop_events() {
		$this->filter(
			'revisit_event_payload_order.created',
			static function ( $data, $order ) {
				$data['items'][0]['name'] = 'filtered for order ' . $order->get_id();
				return $data;
			},
			10,
			2
		);
		$this->filter(
			'revisit_event_payload',
			static function ( $data, $type ) {
				return ( 'payment.completed' === $type ) ? false : $data;
			},
			10,
			2
		);
		$order = $this->order();
		$order->payment_complete( 'T1' );
		$this->end_request();
		$this->assertSame( array( 'order.created' ), wp_list_pluck( $this->rows(), 'type' ) );
		$this->assertSame( 'filtered for order ' . $order->get_id(), $this->queued()[0]['data']['items'][0]['name'] );
	}

	public function test_revisit_track_queues_any_event_and_announces_it() {
		$announced = array();
		$this->filter(
			'revisit_event_queued',
			static function ( $id, $type, $envelope ) use ( &$announced ) {
				$announced[] = array( $id, $type, isset( $envelope['data']['birthday'] ) ? $envelope['data']['birthday'] : null );
			},
			10,
			3
		);
		$id = revisit_track(
			'customer.updated',
			array(
				'external_id' => '57',
				'phone'       => '09121234567',
				'birthday'    => '1992-08-14',
			),
			array(
				'id'          => 'my-plugin-birthday-57',
				'occurred_at' => '2024-12-20 18:45:00',
			)
		);
		$this->assertSame( 'my-plugin-birthday-57', $id );
		$this->assertSame( array( array( 'my-plugin-birthday-57', 'customer.updated', '1992-08-14' ) ), $announced );
		$event = $this->queued()[0];
		$this->assertSame( '2024-12-20T18:45:00+03:30', $event['occurred_at'] );

		// The same id again is the same event.
		$this->assertSame( 'my-plugin-birthday-57', revisit_track( 'customer.updated', array( 'external_id' => '57' ), array( 'id' => 'my-plugin-birthday-57' ) ) );
		$this->assertCount( 1, $this->rows() );
		$this->assertCount( 1, $announced );

		// Without an id, every call is a new event.
		$announced = array();
		$this->assertNotSame( revisit_track( 'customer.updated', array( 'external_id' => '58' ) ), revisit_track( 'customer.updated', array( 'external_id' => '58' ) ) );
		$this->assertCount( 2, $announced );
		$this->assertFalse( revisit_track( 'customer.updated', 'not an array' ) );
	}

	public function test_revisit_events_sent_reports_the_results() {
		$reported = array();
		$this->filter(
			'revisit_events_sent',
			static function ( $results, $events ) use ( &$reported ) {
				$reported[] = array( wp_list_pluck( $results, 'status' ), count( $events ) );
			},
			10,
			2
		);
		revisit_track( 'customer.updated', array( 'external_id' => '9' ), array( 'id' => 'c9' ) );
		revisit_track( 'order.updated', array( 'external_id' => '9' ), array( 'id' => 'bad' ) );
		$this->run_sender();
		$this->assertSame( array( array( array( 'accepted', 'rejected' ), 2 ) ), $reported );
	}
}
