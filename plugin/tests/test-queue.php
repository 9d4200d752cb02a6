<?php
/**
 * The queue and the sender: queued in the request, stable ids, batches, results, backoff, pauses.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Queue and sender.
 */
class Queue_Test extends Revisit_TestCase {

	public function test_events_are_queued_in_the_request_without_any_call_to_revisit() {
		$order = $this->order();
		$order->set_status( 'processing' );
		$order->save();
		$order->update_meta_data( 'some_other_plugin', 'x' );
		$order->save();
		$this->end_request();

		$this->assertSame( array(), $this->requests(), 'The shopper\'s request must not call Revisit.' );
		$rows = $this->rows();
		$this->assertCount( 1, $rows, 'Several saves in one request are one event with the final state.' );
		$this->assertSame( 'order.created', $rows[0]->type );
		$this->assertSame( 'pending', $rows[0]->status );
		$this->assertSame( '0', (string) $rows[0]->attempts );
		$event = json_decode( $rows[0]->payload, true );
		$this->assertSame( 'processing', $event['data']['status'] );
		// In the background: WooCommerce keeps Action Scheduler's one-minute queue run scheduled in
		// WP-Cron, and the sender rides it (nothing of the plugin's own needs scheduling).
		$this->assertNotFalse( wp_next_scheduled( Revisit_Sender::TICK, Revisit_Sender::TICK_ARGS ), 'The queue run is scheduled.' );
		$this->run_actions();
		$this->assertCount( 1, $this->requests( '/rest/v1/events' ), 'The next queue run sends it.' );
		$this->assertSame( array(), $this->rows( 'pending' ) );
	}

	public function test_event_ids_are_stable_and_requeueing_the_same_state_adds_nothing() {
		$order = $this->order( array( 'status' => 'processing' ) );
		$this->end_request();
		$first = $this->rows();
		$this->assertCount( 1, $first );
		$modified = wc_get_order( $order->get_id() )->get_date_modified()->getTimestamp();
		$this->assertMatchesRegularExpression( '/^order-' . $order->get_id() . '-processing-' . $modified . '-[0-9a-f]{10}$/', $first[0]->event_id );

		// The same order, unchanged, queued again (a later hook, a backfill): same id, no new row.
		$id = $this->plugin->events->queue_order( wc_get_order( $order->get_id() ), 'order.created' );
		$this->assertSame( $first[0]->event_id, $id );
		$this->assertCount( 1, $this->rows() );
	}

	public function test_a_change_is_a_new_event_with_its_own_id() {
		$order = $this->order( array( 'status' => 'processing' ) );
		$this->end_request();
		sleep( 1 ); // A later second: WooCommerce's date_modified moves on.
		$order = wc_get_order( $order->get_id() );
		$order->set_status( 'completed' );
		$order->save();
		$this->end_request();
		$rows = $this->rows();
		$this->assertCount( 2, $rows );
		$this->assertSame( 'order.updated', $rows[1]->type );
		$this->assertNotSame( $rows[0]->event_id, $rows[1]->event_id );
	}

	public function test_sender_delivers_in_batches_and_marks_accepted_and_duplicates_sent() {
		$this->filter(
			'revisit_batch_size',
			static function () {
				return 2;
			}
		);
		for ( $i = 0; $i < 5; $i++ ) {
			$this->order();
		}
		$this->end_request();
		$this->assertCount( 5, $this->rows( 'pending' ) );

		$summary = $this->run_sender();
		$this->assertSame( 3, $summary['batches'] );
		$this->assertSame( 5, $summary['sent'] );
		$this->assertCount( 5, $this->rows( 'sent' ) );
		$batches = $this->server->state()['batches'];
		$this->assertSame( array( 2, 2, 1 ), array_column( $batches, 'count' ) );
		foreach ( $this->requests( '/rest/v1/events' ) as $request ) {
			$this->assertSame( 'Bearer ' . REVISIT_TEST_KEY, $request['authorization'] );
		}

		// The same event ids again are duplicates for Revisit, and sent for us.
		global $wpdb;
		$wpdb->query( $wpdb->prepare( 'UPDATE ' . Revisit_Queue::table() . ' SET status = %s', 'pending' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->run_sender();
		$this->assertCount( 5, $this->rows( 'sent' ) );
		$this->assertSame( 5, array_sum( array_column( $this->server->state()['batches'], 'duplicates' ) ) );
		$this->assertCount( 5, $this->received() );
	}

	public function test_batches_never_exceed_500_events() {
		$this->filter(
			'revisit_batch_size',
			static function () {
				return 5000;
			}
		);
		$this->assertSame( 500, $this->plugin->sender->batch_size() );
	}

	public function test_rejected_events_are_kept_with_the_reason_and_not_sent_again() {
		revisit_track( 'order.updated', array( 'external_id' => '1', 'status' => 'shipped-by-camel' ), array( 'id' => 'bad-1' ) );
		revisit_track( 'customer.updated', array( 'external_id' => '5', 'phone' => '09120000000' ), array( 'id' => 'good-1' ) );
		$summary = $this->run_sender();
		$this->assertSame( 1, $summary['rejected'] );
		$rejected = $this->rows( 'rejected' );
		$this->assertCount( 1, $rejected );
		$this->assertSame( 'bad-1', $rejected[0]->event_id );
		$this->assertStringContainsString( 'data.status', $rejected[0]->last_error );
		$this->assertCount( 1, $this->rows( 'sent' ) );

		$before = count( $this->requests( '/rest/v1/events' ) );
		$this->time_passes();
		$this->run_sender();
		$this->assertCount( $before, $this->requests( '/rest/v1/events' ), 'A rejected event is not retried.' );
		$this->assertSame( 'idle', $this->run_sender()['outcome'] );
	}

	public function test_failures_keep_everything_and_back_off() {
		$this->order();
		$this->end_request();
		$this->server->configure( array( 'mode' => 'fail', 'fail_status' => 503 ) );

		// The next queue run (Action Scheduler's, from WP-Cron) runs the sender; it fails and
		// schedules the retry.
		$this->run_actions();
		$this->assertCount( 1, $this->requests( '/rest/v1/events' ) );
		$rows = $this->rows( 'pending' );
		$this->assertCount( 1, $rows );
		$this->assertSame( '1', (string) $rows[0]->attempts );
		$this->assertStringContainsString( '503', $rows[0]->last_error );
		$state = Revisit_Sender::state();
		$this->assertSame( 1, $state['failures'] );
		$wait = $state['next_attempt_at'] - time();
		$this->assertGreaterThanOrEqual( 47, $wait );
		$this->assertLessThanOrEqual( 60, $wait );
		$pending = $this->actions( Revisit_Sender::HOOK );
		$this->assertCount( 1, $pending, 'Exactly one retry is scheduled.' );
		$this->assertGreaterThanOrEqual( time() + 47, $pending[0]['timestamp'] );
		$this->assertSame( 0, $this->run_actions(), 'Nothing runs before the delay.' );

		// Before the delay is over, a run does not even try.
		$requests = count( $this->requests( '/rest/v1/events' ) );
		$this->assertSame( 'waiting', $this->run_sender()['outcome'] );
		$this->assertCount( $requests, $this->requests( '/rest/v1/events' ) );

		// Still failing: the delay doubles.
		$this->time_passes();
		$this->run_sender();
		$state = Revisit_Sender::state();
		$this->assertSame( 2, $state['failures'] );
		$this->assertGreaterThanOrEqual( 95, $state['next_attempt_at'] - time() );

		// Revisit is back: delivered, failures forgotten.
		$this->server->configure( array( 'mode' => 'ok' ) );
		$this->time_passes();
		$this->assertSame( 1, $this->run_sender()['sent'] );
		$this->assertSame( 0, Revisit_Sender::state()['failures'] );
		$this->assertCount( 1, $this->received() );
	}

	public function test_backoff_doubles_from_a_minute_with_jitter_and_stops_at_an_hour() {
		$sender = $this->plugin->sender;
		foreach ( array( 1 => 60, 2 => 120, 3 => 240, 4 => 480, 6 => 1920 ) as $failures => $full ) {
			for ( $i = 0; $i < 20; $i++ ) {
				$delay = $sender->backoff( $failures );
				$this->assertGreaterThanOrEqual( (int) floor( $full * 0.8 ), $delay, "failures=$failures" );
				$this->assertLessThanOrEqual( $full, $delay, "failures=$failures" );
			}
		}
		for ( $i = 0; $i < 20; $i++ ) {
			$this->assertLessThanOrEqual( 3600, $sender->backoff( 50 ) );
			$this->assertGreaterThanOrEqual( 2880, $sender->backoff( 50 ) );
		}
		$this->assertGreaterThanOrEqual( 300, $sender->backoff( 1, 300 ), 'Retry-After is honoured.' );
		$this->assertSame( 3600, $sender->backoff( 1, 99999 ), 'Retry-After is capped too.' );
	}

	public function test_429_honours_retry_after() {
		$this->order();
		$this->end_request();
		$this->server->configure( array( 'mode' => 'fail', 'fail_status' => 429 ) );
		$this->run_sender();
		$this->assertCount( 1, $this->rows( 'pending' ) );
		$this->assertSame( 1, Revisit_Sender::state()['failures'] );
	}

	public function test_no_answer_in_time_is_a_failure_like_any_other() {
		$this->filter(
			'revisit_http_timeout',
			static function () {
				return 1;
			}
		);
		$this->order();
		$this->end_request();
		$this->server->configure( array( 'mode' => 'slow', 'delay' => 2.5 ) );
		$started = microtime( true );
		$this->assertSame( 'failed', $this->run_sender()['outcome'] );
		$this->assertLessThan( 2.4, microtime( true ) - $started );
		$this->assertCount( 1, $this->rows( 'pending' ) );
	}

	public function test_a_refused_key_pauses_sending_and_says_so() {
		$this->order();
		$this->end_request();
		update_option( Revisit_Settings::OPTION_KEY, 'rvk_wrong_key' );

		$this->assertSame( 'auth', $this->run_sender()['outcome'] );
		$this->assertTrue( Revisit_Sender::is_paused() );
		$this->assertSame( 401, Revisit_Sender::state()['paused_status'] );
		$this->assertCount( 1, $this->rows( 'pending' ), 'Nothing is lost while paused.' );

		$requests = count( $this->requests() );
		$this->time_passes();
		$this->assertSame( 'paused', $this->run_sender()['outcome'] );
		$this->assertCount( $requests, $this->requests(), 'No retry loop with a refused key.' );

		// The admin sees why.
		wp_set_current_user( 1 );
		ob_start();
		$this->plugin->admin->notices();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'refused the store', $html );

		// A new key resumes.
		Revisit_Settings::set_access_key( REVISIT_TEST_KEY );
		$this->assertFalse( Revisit_Sender::is_paused() );
		$this->assertSame( 1, $this->run_sender()['sent'] );
	}

	public function test_403_pauses_too() {
		$this->order();
		$this->end_request();
		$this->server->configure( array( 'mode' => 'fail', 'fail_status' => 403 ) );
		$this->assertSame( 'auth', $this->run_sender()['outcome'] );
		$this->assertSame( 403, Revisit_Sender::state()['paused_status'] );
	}

	public function test_an_answer_too_large_splits_the_batch() {
		for ( $i = 0; $i < 4; $i++ ) {
			$this->order();
		}
		$this->end_request();
		$this->server->configure( array( 'fail_next' => 1, 'fail_status' => 413 ) );
		$summary = $this->run_sender();
		$this->assertSame( 4, $summary['sent'] );
		$this->assertSame( array( 2, 2 ), array_column( $this->server->state()['batches'], 'count' ) );
	}

	public function test_the_request_body_stays_under_the_byte_budget() {
		$this->filter(
			'revisit_batch_max_bytes',
			static function () {
				return 4000;
			}
		);
		for ( $i = 0; $i < 6; $i++ ) {
			$this->order();
		}
		$this->end_request();
		$this->run_sender();
		foreach ( $this->requests( '/rest/v1/events' ) as $request ) {
			$this->assertLessThanOrEqual( 4000, $request['bytes'] );
		}
		$this->assertCount( 6, $this->received() );
	}

	public function test_nothing_is_queued_or_sent_without_a_key() {
		delete_option( Revisit_Settings::OPTION_KEY );
		$this->order();
		$this->end_request();
		$this->assertSame( array(), $this->rows() );
		$this->assertSame( 'no_key', $this->run_sender()['outcome'] );
	}

	public function test_only_one_sender_runs_at_a_time() {
		global $wpdb;
		$this->order();
		$this->end_request();
		$wpdb->insert(
			$wpdb->options,
			array(
				'option_name'  => Revisit_Settings::OPTION_LOCK,
				'option_value' => (string) ( time() + 60 ),
				'autoload'     => 'no',
			)
		);
		$this->assertSame( 'locked', $this->run_sender()['outcome'] );

		// A lock left by a run that died is taken over once it is stale.
		$wpdb->update( $wpdb->options, array( 'option_value' => (string) ( time() - 1 ) ), array( 'option_name' => Revisit_Settings::OPTION_LOCK ) );
		$this->assertSame( 1, $this->run_sender()['sent'] );
		$this->assertNull( $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", Revisit_Settings::OPTION_LOCK ) ) );
	}

	public function test_old_delivered_rows_are_pruned_and_pending_rows_never() {
		global $wpdb;
		$table = Revisit_Queue::table();
		for ( $i = 0; $i < 3; $i++ ) {
			$this->order();
		}
		$this->end_request();
		$this->run_sender();
		$this->order();
		$this->end_request();
		// Two delivered rows are 40 days old; one is fresh; one is pending and old.
		$ids = $wpdb->get_col( "SELECT id FROM {$table} ORDER BY id" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$old = gmdate( 'Y-m-d H:i:s', time() - 40 * DAY_IN_SECONDS );
		$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET sent_at = %s WHERE id IN (%d, %d)", $old, $ids[0], $ids[1] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET created_at = %s WHERE id = %d", $old, $ids[3] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->server->configure( array( 'mode' => 'fail' ) );

		$this->plugin->heartbeat();
		$this->assertSame( array( $ids[2], $ids[3] ), $wpdb->get_col( "SELECT id FROM {$table} ORDER BY id" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	public function test_action_scheduler_is_used_and_never_schedules_twice() {
		$this->order();
		$this->end_request();
		$this->order();
		$this->end_request();
		$this->plugin->sender->nudge();
		$sends = $this->actions( Revisit_Sender::HOOK, null );
		$this->assertCount( 1, $sends );
		$this->assertSame( 'revisit', array_values( $sends )[0]['group'] );

		// The scheduled action is the sender; once done, nothing is left scheduled.
		$this->assertSame( 1, $this->run_actions() );
		$this->assertCount( 2, $this->received() );
		$this->assertSame( array(), $this->actions( Revisit_Sender::HOOK ) );
	}

	public function test_wp_cron_is_used_without_action_scheduler() {
		$this->filter( 'revisit_use_action_scheduler', '__return_false' );
		wp_unschedule_hook( Revisit_Sender::HOOK );
		$this->order();
		$this->end_request();
		$next = wp_next_scheduled( Revisit_Sender::HOOK );
		$this->assertNotFalse( $next );
		$this->assertLessThanOrEqual( time(), $next );
		$this->assertSame( array(), $this->actions( null, null ), 'Nothing in Action Scheduler.' );

		// WP-Cron runs it; on failure it schedules the retry, once.
		$this->server->configure( array( 'mode' => 'fail' ) );
		$this->assertTrue( $this->run_cron( Revisit_Sender::HOOK ) );
		$this->assertCount( 1, $this->rows( 'pending' ) );
		$later = wp_next_scheduled( Revisit_Sender::HOOK );
		$this->assertGreaterThan( time() + 40, $later );
		$crons = 0;
		foreach ( _get_cron_array() as $hooks ) {
			$crons += isset( $hooks[ Revisit_Sender::HOOK ] ) ? count( $hooks[ Revisit_Sender::HOOK ] ) : 0;
		}
		$this->assertSame( 1, $crons );

		// A new event while waiting does not add a second run.
		$this->order();
		$this->end_request();
		$this->assertSame( $later, wp_next_scheduled( Revisit_Sender::HOOK ) );
		wp_unschedule_hook( Revisit_Sender::HOOK );
	}

	public function test_heartbeat_is_recurring() {
		$this->plugin->scheduler->ensure_recurring( Revisit_Sender::HEARTBEAT, 300 );
		$this->plugin->scheduler->ensure_recurring( Revisit_Sender::HEARTBEAT, 300 );
		$beats = $this->actions( Revisit_Sender::HEARTBEAT, null );
		$this->assertCount( 1, $beats );
		$this->assertSame( 300, array_values( $beats )[0]['interval'] );
	}
}
