<?php
/**
 * The store owner connects the plugin: saves the access key and tests the connection, as the
 * settings page does (a real GET /rest/v1/connection), then the store's background runs (WP-Cron's
 * Action Scheduler queue run, once a minute on a real store) do what that started: the first
 * backfill, in steps, and the sends of what it queued, until the backfill is done.
 *
 * Usage: php connect.php <access key>
 * Prints: {"notice": ..., "connection": {...}, "backfill": {...}, "runs": n, "sends": [...], "queue": {...}}
 *
 * @package Revisit\WooCommerce\Tests
 */

require __DIR__ . '/lib.php';

$revisit_key = isset( $argv[1] ) ? (string) $argv[1] : '';
if ( '' === $revisit_key ) {
	fwrite( STDERR, "usage: php connect.php <access key>\n" );
	exit( 2 );
}

$revisit_plugin = Revisit_Plugin::instance();
Revisit_Settings::set_access_key( $revisit_key );
$revisit_notice = $revisit_plugin->admin->test_connection();
$revisit_sends = array();
$revisit_round = 0;
while ( $revisit_round < 30 && 'running' === Revisit_Backfill::state()['status'] ) {
	$revisit_send = revisit_e2e_queue_run();
	if ( null !== $revisit_send ) {
		$revisit_sends[] = $revisit_send;
	}
	++$revisit_round;
}

revisit_e2e_finish(
	array(
		'notice'     => $revisit_notice,
		'api_url'    => Revisit_Settings::api_url(),
		'connection' => Revisit_Settings::connection(),
		'backfill'   => Revisit_Backfill::state(),
		'runs'       => $revisit_round,
		'sends'      => $revisit_sends,
		'queue'      => revisit_e2e_queue_counts(),
	)
);
