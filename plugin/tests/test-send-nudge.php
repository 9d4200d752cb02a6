<?php
/**
 * Every queueing after a send schedules the next send, also within one request.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Backfill steps that run in the same request as a send (Action Scheduler runs several actions per
 * request) must not wait for the five-minute heartbeat.
 */
class Test_Send_Nudge extends Revisit_TestCase {

	/**
	 * Orders made for the test.
	 *
	 * @var int[]
	 */
	private $order_ids = array();

	/**
	 * Five orders placed before the store was connected (nothing queued for them), backfill steps
	 * of two.
	 */
	protected function setUp(): void {
		parent::setUp();
		delete_option( Revisit_Settings::OPTION_KEY ); // Not connected yet: the tracker ignores the orders.
		wp_cache_flush();
		$product = new WC_Product_Simple();
		$product->set_name( 'چای ماسالا' );
		$product->set_regular_price( '600000' );
		$product->save();
		$this->order_ids = array();
		for ( $i = 0; $i < 5; $i++ ) {
			$order = wc_create_order();
			$order->add_product( $product, 1 );
			$order->set_billing_phone( '0912123456' . $i );
			$order->set_billing_email( "buyer{$i}@example.com" );
			$order->calculate_totals();
			$order->set_status( 'processing' );
			$order->save();
			$this->order_ids[] = $order->get_id();
		}
		$this->plugin->tracker->flush();
		$this->assertSame( array(), $this->rows(), 'Nothing was queued before the key.' );
		update_option( Revisit_Settings::OPTION_KEY, REVISIT_TEST_KEY, true );
		$this->filter(
			'revisit_backfill_batch_size',
			static function () {
				return 2;
			}
		);
		wp_clear_scheduled_hook( Revisit_Sender::HOOK );
	}

	/**
	 * Given WP-Cron as the scheduler and a backfill of five orders in steps of two, when every step
	 * and every send runs in one and the same PHP request (no reset between them), then after each
	 * step that queued something a send is scheduled, running it leaves nothing pending, and in the
	 * end Revisit has every order.
	 */
	public function test_with_wp_cron_every_step_after_a_send_schedules_a_send() {
		// given
		$this->filter( 'revisit_use_action_scheduler', '__return_false' );
		$this->assertTrue( $this->plugin->backfill->start() );
		$this->drain_customer_phase();

		// when / then
		$steps = 0;
		while ( 'running' === Revisit_Backfill::state()['status'] && $steps < 20 ) {
			$before = count( $this->rows() );
			$this->plugin->backfill->step();
			++$steps;
			if ( count( $this->rows() ) === $before ) {
				continue; // The last step found nothing new.
			}
			$next = wp_next_scheduled( Revisit_Sender::HOOK );
			$this->assertNotFalse( $next, "Step {$steps} queued events and scheduled a send." );
			$this->assertLessThanOrEqual( time(), $next, 'The send is due now.' );
			$this->assertTrue( $this->run_cron( Revisit_Sender::HOOK ), 'The send ran.' );
			$this->assertSame( array(), $this->rows( Revisit_Queue::STATUS_PENDING ), "After step {$steps}'s send nothing waits." );
		}

		// then
		$this->assertGreaterThanOrEqual( 3, $steps, 'Five orders in steps of two take three steps.' );
		$this->assertSame( $this->order_ids, $this->received_order_ids() );
	}

	/**
	 * Given Action Scheduler (WooCommerce's) and the same backfill, when WP-Cron fires Action
	 * Scheduler's one-minute queue runner a few times (each run does one backfill step, then the
	 * sender's tick), then each run delivers what its step queued: nothing is left pending for the
	 * heartbeat, and Revisit has every order.
	 */
	public function test_with_action_scheduler_each_queue_run_delivers_what_its_step_queued() {
		// given
		$this->assertTrue( $this->plugin->scheduler->uses_action_scheduler() );
		$this->assertNotFalse( wp_next_scheduled( Revisit_Sender::TICK, Revisit_Sender::TICK_ARGS ), 'WooCommerce keeps the queue runner scheduled.' );
		$this->assertTrue( $this->plugin->backfill->start() );

		// when / then
		$runs = 0;
		while ( 'running' === Revisit_Backfill::state()['status'] && $runs < 30 ) {
			do_action( Revisit_Sender::TICK, 'WP Cron' ); // What wp-cron.php does every minute.
			++$runs;
			$this->assertSame( array(), $this->rows( Revisit_Queue::STATUS_PENDING ), "After queue run {$runs} nothing waits." );
		}

		// then
		$this->assertSame( 'done', Revisit_Backfill::state()['status'] );
		$this->assertSame( $this->order_ids, $this->received_order_ids() );
	}

	/**
	 * Given a send that already ran in this request, when a new order event is queued in the same
	 * request, then that queueing schedules a send again (WP-Cron), and its event reaches Revisit.
	 */
	public function test_an_order_changed_after_a_send_in_the_same_request_is_sent_too() {
		// given
		$this->filter( 'revisit_use_action_scheduler', '__return_false' );
		$first = wc_get_order( $this->order_ids[0] );
		$first->update_status( 'completed' );
		$this->plugin->tracker->flush();
		$this->assertTrue( $this->run_cron( Revisit_Sender::HOOK ) );
		$this->assertFalse( wp_next_scheduled( Revisit_Sender::HOOK ), 'Nothing left to send.' );

		// when
		$second = wc_get_order( $this->order_ids[1] );
		$second->update_status( 'completed' );
		$this->plugin->tracker->flush();

		// then
		$this->assertNotFalse( wp_next_scheduled( Revisit_Sender::HOOK ), 'The second change scheduled a send.' );
		$this->assertTrue( $this->run_cron( Revisit_Sender::HOOK ) );
		$statuses = array();
		foreach ( $this->received() as $event ) {
			$statuses[ $event['data']['external_id'] ] = $event['data']['status'];
		}
		$this->assertSame( 'completed', $statuses[ (string) $this->order_ids[1] ] );
	}

	/**
	 * Run the backfill's customer phase (accounts made by other tests stay in the store), sending
	 * what it queued, so the test starts at the orders.
	 */
	private function drain_customer_phase() {
		$guard = 0;
		while ( 'customers' === Revisit_Backfill::state()['phase'] && $guard++ < 500 ) {
			$this->plugin->backfill->step();
		}
		if ( $this->rows( Revisit_Queue::STATUS_PENDING ) ) {
			$this->assertTrue( $this->run_cron( Revisit_Sender::HOOK ) );
		}
		$this->assertSame( 'orders', Revisit_Backfill::state()['phase'] );
	}

	/**
	 * The ids of this test's orders that Revisit received an order event for, ascending.
	 *
	 * @return int[]
	 */
	private function received_order_ids() {
		$ids = array();
		foreach ( $this->received() as $event ) {
			if ( 0 === strpos( $event['type'], 'order.' ) && in_array( (int) $event['data']['external_id'], $this->order_ids, true ) ) {
				$ids[ (int) $event['data']['external_id'] ] = true;
			}
		}
		$ids = array_keys( $ids );
		sort( $ids );
		return $ids;
	}
}
