<?php
/**
 * Backfill: customers then orders, in steps, resumable, with progress; first connection starts it.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Backfill.
 */
class Backfill_Test extends Revisit_TestCase {

	/**
	 * Customers made before the plugin was connected.
	 *
	 * @var int[]
	 */
	private $customers = array();

	/**
	 * Orders made before the plugin was connected.
	 *
	 * @var int[]
	 */
	private $orders = array();

	/**
	 * A store with history made while the plugin had no key (so nothing was queued live).
	 *
	 * @param int $customers Customers.
	 * @param int $orders    Orders.
	 */
	private function history( $customers, $orders ) {
		global $wpdb;
		delete_option( Revisit_Settings::OPTION_KEY );
		// Other tests' users are in the same database: this store's history is everyone now there.
		for ( $i = 0; $i < $customers; $i++ ) {
			$this->customers[] = $this->customer( array( 'billing_phone' => '0912000' . str_pad( (string) $i, 4, '0', STR_PAD_LEFT ) ) );
		}
		$statuses = array( 'completed', 'processing', 'cancelled', 'refunded', 'on-hold' );
		for ( $i = 0; $i < $orders; $i++ ) {
			$order          = $this->order(
				array(
					'status'      => $statuses[ $i % 5 ],
					'customer_id' => $this->customers ? $this->customers[ $i % count( $this->customers ) ] : 0,
				)
			);
			$this->orders[] = $order->get_id();
			if ( 'refunded' === $statuses[ $i % 5 ] ) {
				wc_create_refund(
					array(
						'order_id' => $order->get_id(),
						'amount'   => '300000',
					)
				);
			}
		}
		$this->end_request();
		$this->assertSame( array(), $this->rows() );
		update_option( Revisit_Settings::OPTION_KEY, REVISIT_TEST_KEY, false );
		// Every customer account in the database counts (users of earlier tests too).
		$this->all_customers = array_map( 'intval', get_users( array( 'role__in' => array( 'customer', 'subscriber' ), 'fields' => 'ID' ) ) );
		foreach ( $this->all_customers as $user_id ) {
			delete_user_meta( $user_id, Revisit_Events::META_CUSTOMER_HASH );
		}
		$wpdb->query( 'TRUNCATE TABLE ' . Revisit_Queue::table() ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * All customer accounts.
	 *
	 * @var int[]
	 */
	private $all_customers = array();

	/**
	 * Run backfill steps the way the scheduler does, until it is done.
	 *
	 * @param int $max Safety limit.
	 * @return int Steps.
	 */
	private function run_backfill( $max = 100 ) {
		$steps = 0;
		while ( 'running' === Revisit_Backfill::state()['status'] && $steps < $max ) {
			$this->plugin->backfill->step();
			++$steps;
		}
		return $steps;
	}

	public function test_backfill_sends_customers_then_orders_with_refunds_in_steps() {
		$this->filter(
			'revisit_backfill_batch_size',
			static function () {
				return 4;
			}
		);
		$this->history( 5, 23 );
		$customers = count( $this->all_customers );

		$this->assertTrue( $this->plugin->backfill->start() );
		$state = Revisit_Backfill::state();
		$this->assertSame( 'running', $state['status'] );
		$this->assertSame( $customers + 23, $state['total'] );
		$this->assertNotFalse( as_next_scheduled_action( Revisit_Backfill::HOOK, array(), 'revisit' ), 'Steps run in the background.' );

		$this->plugin->backfill->step();
		$this->assertSame( 4, Revisit_Backfill::state()['done'] );
		$this->assertSame( array(), $this->requests(), 'A step only queues; the sender sends.' );

		$this->run_backfill();
		$state = Revisit_Backfill::state();
		$this->assertSame( 'done', $state['status'] );
		$this->assertSame( $state['total'], $state['done'] );

		$types = wp_list_pluck( $this->rows(), 'type' );
		$this->assertSame( $customers, count( array_keys( $types, 'customer.created', true ) ) );
		$this->assertSame( 23, count( array_keys( $types, 'order.created', true ) ) );
		$this->assertSame( 4, count( array_keys( $types, 'order.refunded', true ) ) );
		$this->assertSame( 'customer.created', $types[0], 'Customers first.' );
		$last_customer = max( array_keys( $types, 'customer.created', true ) );
		$first_order   = min( array_keys( $types, 'order.created', true ) );
		$this->assertLessThan( $first_order, $last_customer );

		// Delivered like any other event.
		while ( $this->run_sender()['sent'] > 0 ) {
			continue;
		}
		$received = $this->received();
		foreach ( $this->orders as $order_id ) {
			$found = array_filter(
				$received,
				static function ( $event ) use ( $order_id ) {
					return 'order.created' === $event['type'] && (string) $order_id === $event['data']['external_id'];
				}
			);
			$this->assertCount( 1, $found, "order $order_id reached Revisit" );
		}
	}

	/** A block checkout's draft is not an order: the progress counts only what is sent, so it ends "1 of 1". */
	public function test_checkout_drafts_are_not_counted_as_orders_to_send() {
		$this->order( array( 'status' => 'completed' ) );
		$draft = $this->order( array( 'status' => 'checkout-draft' ) );
		$this->assertSame( 'checkout-draft', wc_get_order( $draft->get_id() )->get_status() );

		$this->assertTrue( $this->plugin->backfill->start() );
		$this->assertSame( 1, Revisit_Backfill::state()['orders_total'] );
		$this->run_backfill();

		$state = Revisit_Backfill::state();
		$this->assertSame( 'done', $state['status'] );
		$this->assertSame( $state['total'], $state['done'] );
		$orders = array_keys( wp_list_pluck( $this->rows(), 'type' ), 'order.created', true );
		$this->assertCount( 1, $orders );
	}

	public function test_an_interrupted_backfill_continues_where_it_stopped() {
		$this->filter(
			'revisit_backfill_batch_size',
			static function () {
				return 5;
			}
		);
		$this->history( 2, 17 );
		$this->plugin->backfill->start();
		$this->plugin->backfill->step();
		$this->plugin->backfill->step();
		$after_two = count( $this->rows() );

		// The process dies; the next request only has the option to go on from.
		$saved = Revisit_Backfill::state();
		$this->assertSame( 'running', $saved['status'] );
		$this->assertGreaterThan( 0, $saved['done'] );
		$this->assertLessThan( $saved['total'], $saved['done'] );
		wp_cache_flush();
		$this->run_backfill();
		$this->assertSame( 'done', Revisit_Backfill::state()['status'] );
		$this->assertCount( 17, $this->queued( 'order.created' ) );
		$this->assertCount( count( $this->all_customers ), $this->queued( 'customer.created' ) );
		$this->assertGreaterThan( $after_two, count( $this->rows() ) );
		$ids = wp_list_pluck( $this->rows(), 'event_id' );
		$this->assertSame( count( $ids ), count( array_unique( $ids ) ) );
	}

	public function test_orders_deleted_meanwhile_do_not_make_it_skip_others() {
		$this->filter(
			'revisit_backfill_batch_size',
			static function () {
				return 5;
			}
		);
		$this->history( 0, 20 );
		$this->plugin->backfill->start();
		// Customers phase (everyone in the database), then the first order step.
		while ( 'customers' === Revisit_Backfill::state()['phase'] ) {
			$this->plugin->backfill->step();
		}
		$this->plugin->backfill->step();
		$this->plugin->backfill->step();
		// Three orders already sent are deleted: positions shift back by three.
		foreach ( array_slice( $this->orders, 0, 3 ) as $order_id ) {
			wc_get_order( $order_id )->delete( true );
		}
		$this->run_backfill();
		$sent = array_map(
			static function ( $event ) {
				return (int) $event['data']['external_id'];
			},
			$this->queued( 'order.created' )
		);
		sort( $sent );
		$this->assertSame( $this->orders, $sent );
	}

	public function test_running_it_again_sends_nothing_twice() {
		$this->history( 3, 6 );
		$this->plugin->backfill->start();
		$this->run_backfill();
		$first = count( $this->rows() );
		while ( $this->run_sender()['sent'] > 0 ) {
			continue;
		}
		$this->plugin->backfill->start();
		$this->run_backfill();
		$this->assertCount( $first, $this->rows(), 'Unchanged orders have the same ids; customers already sent are skipped.' );
	}

	public function test_first_successful_connection_starts_it_and_progress_shows() {
		$this->history( 1, 3 );
		wp_set_current_user( 1 );
		$this->assertSame( 'connected', $this->plugin->admin->test_connection() );
		$this->assertSame( 'running', Revisit_Backfill::state()['status'] );
		$this->plugin->backfill->step();

		ob_start();
		$this->plugin->admin->render();
		$html = ob_get_clean();
		$state = Revisit_Backfill::state();
		$this->assertStringContainsString( sprintf( 'Sending customers and orders: %s of %s', number_format_i18n( $state['done'] ), number_format_i18n( $state['total'] ) ), $html );

		$this->run_backfill();
		ob_start();
		$this->plugin->admin->render();
		$this->assertStringContainsString( 'History sent:', ob_get_clean() );

		// A later connection test does not start it again.
		$this->assertSame( 'connected', $this->plugin->admin->test_connection() );
		$this->assertSame( 'done', Revisit_Backfill::state()['status'] );
	}
}
