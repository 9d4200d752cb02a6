<?php
/**
 * The promise: when Revisit is away for hours, nothing is lost and nothing is processed twice.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Outage.
 */
class Outage_Test extends Revisit_TestCase {

	/**
	 * Orders made in this test.
	 *
	 * @var int[]
	 */
	private $orders = array();

	/**
	 * A shopper's request: make an order, possibly pay it.
	 *
	 * @param bool $pay Pay it.
	 */
	private function shopper_request( $pay = false ) {
		$order = $this->order();
		if ( $pay ) {
			$order->payment_complete( 'ZP-' . $order->get_id() );
		}
		$this->orders[] = $order->get_id();
		$this->end_request();
	}

	/**
	 * The latest event Revisit received for each order.
	 *
	 * @return array order id => data
	 */
	private function latest_by_order() {
		$state  = $this->server->state();
		$latest = array();
		foreach ( $state['order'] as $id ) {
			$event = $state['events'][ $id ];
			if ( 0 === strpos( $event['type'], 'order.' ) && 'order.refunded' !== $event['type'] ) {
				$latest[ (int) $event['data']['external_id'] ] = $event['data'];
			}
		}
		return $latest;
	}

	public function test_hours_of_outage_lose_nothing_and_duplicate_nothing() {
		$this->filter(
			'revisit_batch_size',
			static function () {
				return 7;
			}
		);
		$this->filter(
			'revisit_http_timeout',
			static function () {
				return 1;
			}
		);

		// Normal trading.
		for ( $i = 0; $i < 6; $i++ ) {
			$this->shopper_request( 0 === $i % 2 );
		}
		while ( $this->run_sender()['sent'] > 0 ) {
			continue;
		}
		$this->assertCount( 0, $this->rows( 'pending' ) );

		// Revisit goes down. The store keeps trading; the sender keeps failing for "hours".
		$this->server->configure( array( 'mode' => 'fail', 'fail_status' => 503 ) );
		for ( $hour = 0; $hour < 12; $hour++ ) {
			$this->shopper_request( 0 === $hour % 3 );
			if ( 4 === $hour ) {
				$first = wc_get_order( $this->orders[0] );
				$first->set_status( 'completed' );
				$first->save();
				wc_create_refund(
					array(
						'order_id' => $this->orders[1],
						'amount'   => '100000',
						'reason'   => 'یک قلم آسیب دیده بود',
					)
				);
				$this->end_request();
			}
			$this->time_passes();
			$this->assertSame( 'failed', $this->run_sender()['outcome'] );
		}
		$state = Revisit_Sender::state();
		$this->assertSame( 12, $state['failures'] );
		$this->assertLessThanOrEqual( time() + HOUR_IN_SECONDS, $state['next_attempt_at'], 'The wait never exceeds an hour.' );
		$this->assertGreaterThan( time() + 40 * MINUTE_IN_SECONDS, $state['next_attempt_at'] );
		$this->assertSame( array(), $this->rows( 'rejected' ) );
		$this->assertCount( 6 + 3, $this->rows( 'sent' ), 'Nothing new was delivered during the outage.' );
		$this->assertCount( 6 + 3, $this->received() );

		// Revisit comes back but answers too slowly: it stores the batch, the plugin never hears.
		$this->server->configure( array( 'mode' => 'slow', 'delay' => 2 ) );
		$this->time_passes();
		$this->assertSame( 'failed', $this->run_sender()['outcome'] );
		$stored_without_answer = count( $this->received() ) - 6 - 3; // Minus the first six orders and their three payments.
		$this->assertSame( 7, $stored_without_answer, 'Revisit stored the batch that timed out.' );

		// Revisit is fully back.
		$this->server->configure( array( 'mode' => 'ok', 'delay' => 0 ) );
		$this->time_passes();
		$runs = 0;
		while ( $this->rows( 'pending' ) && $runs++ < 20 ) {
			$this->run_sender();
		}

		// Nothing lost: every queued event is delivered, and Revisit has exactly those.
		$this->assertSame( array(), $this->rows( 'pending' ) );
		$this->assertSame( array(), $this->rows( 'rejected' ) );
		$queued_ids   = wp_list_pluck( $this->rows(), 'event_id' );
		$received_ids = array_keys( $this->received() );
		sort( $queued_ids );
		sort( $received_ids );
		$this->assertSame( $queued_ids, $received_ids );

		// Nothing twice: Revisit saw the timed-out batch again and answered "duplicate" for each.
		$batches = $this->server->state()['batches'];
		$this->assertSame( 7, array_sum( array_column( $batches, 'duplicates' ) ) );
		$this->assertSame( count( $received_ids ), array_sum( array_column( $batches, 'accepted' ) ) );

		// And what Revisit holds matches the store, order by order.
		$latest = $this->latest_by_order();
		$this->assertCount( count( $this->orders ), $latest );
		foreach ( $this->orders as $order_id ) {
			$order = wc_get_order( $order_id );
			$this->assertSame( $order->get_status(), $latest[ $order_id ]['status'], "order $order_id" );
			$this->assertSame( Revisit_Util::amount( $order->get_total() ), $latest[ $order_id ]['total'], "order $order_id" );
		}
		$received = $this->received();
		$refunds  = array_filter(
			$received,
			static function ( $event ) {
				return 'order.refunded' === $event['type'];
			}
		);
		$this->assertCount( 1, $refunds );
		$payments = array_filter(
			$received,
			static function ( $event ) {
				return 'payment.completed' === $event['type'];
			}
		);
		$this->assertCount( 3 + 4, $payments );
	}

	public function test_events_wait_while_the_key_is_refused_and_go_once_fixed() {
		$this->shopper_request();
		$this->server->configure( array( 'key' => 'rvk_rotated_key' ) );
		$this->run_sender();
		$this->assertTrue( Revisit_Sender::is_paused() );
		for ( $i = 0; $i < 3; $i++ ) {
			$this->shopper_request();
		}
		$this->assertCount( 4, $this->rows( 'pending' ) );

		Revisit_Settings::set_access_key( 'rvk_rotated_key' );
		$this->run_sender();
		$this->assertCount( 4, $this->rows( 'sent' ) );
		$this->assertCount( 4, $this->received() );
	}
}
