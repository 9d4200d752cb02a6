<?php
/**
 * The store owner connects the plugin: saves the access key and tests the connection, as the
 * settings page does (a real GET /rest/v1/connection), then lets Action Scheduler run what that
 * started (the first backfill, over an empty store).
 *
 * Usage: php connect.php <access key>
 * Prints: {"notice": ..., "connection": {...}, "backfill": {...}, "queue": {...}}
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
for ( $revisit_round = 0; $revisit_round < 10 && ActionScheduler_StandIn::run_due() > 0; $revisit_round++ ) {
	continue; // The backfill's steps, until it has nothing left.
}

revisit_e2e_finish(
	array(
		'notice'     => $revisit_notice,
		'api_url'    => Revisit_Settings::api_url(),
		'connection' => Revisit_Settings::connection(),
		'backfill'   => Revisit_Backfill::state(),
		'queue'      => revisit_e2e_queue_counts(),
	)
);
