<?php
/**
 * The plugin's background sender, run the way a WooCommerce store runs it: WP-Cron's
 * `action_scheduler_run_queue` event (Action Scheduler's queue runner, then the sender's tick that
 * rides it), once per background run, again while a run sends something, at most --max-runs times.
 * What runs is what the plugin itself arranged: the sender's tick when events wait, the
 * `revisit_send_queue` action it scheduled after a failure (the retry). A send that is not due does
 * not happen: with nothing due, nothing is sent.
 *
 * --time-passes first lets the backoff delay pass, as a long wait would: the sender's "not before"
 * time and every pending row's next_attempt_at move to now, and the scheduled retry is due now (the
 * failure count is kept, so the next delay keeps growing).
 *
 * Usage: php send.php [--time-passes] [--batch-size=N] [--max-runs=N]
 * Prints: {"runs": [...], "answers": {"accepted": n, "duplicate": n, "rejected": n}, "queue": {...},
 *          "state": {...}, "retry_in": seconds, "next_run_in": seconds|null, "pending": {...}}
 *
 * @package Revisit\WooCommerce\Tests
 */

require __DIR__ . '/lib.php';

$revisit_options = getopt( '', array( 'time-passes', 'batch-size:', 'max-runs:' ) );
$revisit_plugin  = Revisit_Plugin::instance();
$revisit_max     = isset( $revisit_options['max-runs'] ) ? max( 1, (int) $revisit_options['max-runs'] ) : 20;
if ( isset( $revisit_options['batch-size'] ) ) {
	$revisit_batch_size = max( 1, (int) $revisit_options['batch-size'] );
	add_filter(
		'revisit_batch_size',
		static function () use ( $revisit_batch_size ) {
			return $revisit_batch_size;
		}
	);
}

if ( isset( $revisit_options['time-passes'] ) ) {
	global $wpdb;
	$revisit_state                    = Revisit_Sender::state();
	$revisit_state['next_attempt_at'] = 0;
	update_option( Revisit_Settings::OPTION_SENDER, $revisit_state );
	$wpdb->query( $wpdb->prepare( 'UPDATE ' . Revisit_Queue::table() . ' SET next_attempt_at = %s WHERE status = %s', gmdate( 'Y-m-d H:i:s', time() - 1 ), Revisit_Queue::STATUS_PENDING ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	// The scheduled retry, due now: unscheduled and scheduled again for now, through Action Scheduler.
	if ( false !== as_next_scheduled_action( Revisit_Sender::HOOK, array(), Revisit_Scheduler::GROUP ) ) {
		as_unschedule_all_actions( Revisit_Sender::HOOK, array(), Revisit_Scheduler::GROUP );
		as_schedule_single_action( time(), Revisit_Sender::HOOK, array(), Revisit_Scheduler::GROUP );
	}
}

// What Revisit answered, event by event, for the batches that got an answer.
$revisit_answers = array(
	'accepted'  => 0,
	'duplicate' => 0,
	'rejected'  => 0,
);
add_action(
	'revisit_events_sent',
	static function ( $results ) use ( &$revisit_answers ) {
		foreach ( $results as $result ) {
			$status = isset( $result['status'] ) ? (string) $result['status'] : '';
			if ( isset( $revisit_answers[ $status ] ) ) {
				++$revisit_answers[ $status ];
			}
		}
	}
);

// Each background run that sent something: what it sent (see revisit_e2e_queue_run()).
$revisit_runs = array();
for ( $revisit_i = 0; $revisit_i < $revisit_max; $revisit_i++ ) {
	$revisit_run = revisit_e2e_queue_run();
	if ( null === $revisit_run ) {
		break;
	}
	$revisit_runs[] = $revisit_run;
}

global $wpdb;
$revisit_pending = $wpdb->get_row( $wpdb->prepare( 'SELECT COUNT(*) AS n, MIN(attempts) AS min_attempts, MAX(attempts) AS max_attempts, MIN(next_attempt_at) AS first_due FROM ' . Revisit_Queue::table() . ' WHERE status = %s', Revisit_Queue::STATUS_PENDING ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
$revisit_state   = Revisit_Sender::state();
$revisit_next    = $revisit_plugin->scheduler->next( Revisit_Sender::HOOK );
$revisit_now     = time();

revisit_e2e_finish(
	array(
		'runs'        => $revisit_runs,
		'answers'     => $revisit_answers,
		'queue'       => revisit_e2e_queue_counts(),
		'state'       => $revisit_state,
		'retry_in'    => $revisit_state['next_attempt_at'] ? (int) $revisit_state['next_attempt_at'] - $revisit_now : 0,
		'next_run_in' => null === $revisit_next ? null : (int) $revisit_next - $revisit_now,
		'pending'     => array(
			'count'        => (int) $revisit_pending['n'],
			'min_attempts' => null === $revisit_pending['min_attempts'] ? null : (int) $revisit_pending['min_attempts'],
			'max_attempts' => null === $revisit_pending['max_attempts'] ? null : (int) $revisit_pending['max_attempts'],
			'first_due_in' => null === $revisit_pending['first_due'] ? null : (int) strtotime( $revisit_pending['first_due'] . ' UTC' ) - $revisit_now,
		),
	)
);
