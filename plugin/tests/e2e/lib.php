<?php
/**
 * What the end-to-end scripts share: load the WordPress that tests/e2e/test_plugin_against_revisit.py
 * installed, with the plugin pointed at a real Revisit server, and keep the WooCommerce stand-in's
 * store from one PHP process to the next.
 *
 * Every script is one or more "requests" of the store, each in its own PHP process, as on a real
 * host. WordPress, its users and the plugin's queue live in MariaDB; the stand-in keeps orders and
 * products in memory, so this file saves them (and the stand-in's Action Scheduler list) to a file
 * at the end of each script and loads them at the start of the next, as WooCommerce's tables would.
 *
 * Environment:
 *   REVISIT_WP_CONFIG   the wp-config.php written by plugin/tests/bin/write-config.php (required)
 *   REVISIT_E2E_API_URL the Revisit server the plugin talks to (required)
 *   REVISIT_E2E_STATE   file keeping the stand-in's store between processes (required)
 *   REVISIT_E2E_PHP_LOG PHP's error log (WordPress debug log); nothing is printed but the JSON answer
 *
 * Every script prints one JSON object on stdout, and nothing else.
 *
 * @package Revisit\WooCommerce\Tests
 */

// phpcs:disable WordPress.WP.GlobalVariablesOverride -- this is a WordPress entry point.

ini_set( 'display_errors', 'stderr' ); // phpcs:ignore WordPress.PHP.IniSet.display_errors_Disallowed -- stdout carries the JSON answer.

foreach ( array( 'REVISIT_WP_CONFIG', 'REVISIT_E2E_API_URL', 'REVISIT_E2E_STATE' ) as $revisit_e2e_required ) {
	if ( ! getenv( $revisit_e2e_required ) ) {
		fwrite( STDERR, "{$revisit_e2e_required} is not set; run the end-to-end test through pytest (tests/e2e/test_plugin_against_revisit.py).\n" );
		exit( 2 );
	}
}

define( 'REVISIT_API_URL', (string) getenv( 'REVISIT_E2E_API_URL' ) );
define( 'WP_DEBUG_DISPLAY', false );
define( 'WP_DEBUG_LOG', getenv( 'REVISIT_E2E_PHP_LOG' ) ? (string) getenv( 'REVISIT_E2E_PHP_LOG' ) : false );
require getenv( 'REVISIT_WP_CONFIG' );

$_SERVER['HTTP_HOST']       = 'example.org';
$_SERVER['SERVER_NAME']     = 'example.org';
$_SERVER['SERVER_PORT']     = '80';
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
$PHP_SELF                   = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';

require ABSPATH . 'wp-settings.php';

if ( ! class_exists( 'Revisit_Plugin' ) || ! class_exists( 'WC_Stand_In' ) ) {
	fwrite( STDERR, "The Revisit plugin or the WooCommerce stand-in is not active in this WordPress.\n" );
	exit( 3 );
}

revisit_e2e_restore();

/**
 * Load the stand-in's store as the previous script left it.
 */
function revisit_e2e_restore() {
	$file = (string) getenv( 'REVISIT_E2E_STATE' );
	if ( ! is_file( $file ) ) {
		return;
	}
	$state = unserialize( (string) file_get_contents( $file ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.serialize_unserialize -- our own file, written by revisit_e2e_finish().
	if ( ! is_array( $state ) ) {
		fwrite( STDERR, "The stand-in's store in {$file} could not be read.\n" );
		exit( 4 );
	}
	WC_Stand_In::$orders              = $state['orders'];
	WC_Stand_In::$products            = $state['products'];
	WC_Stand_In::$notes               = $state['notes'];
	WC_Stand_In::$next_id             = $state['next_id'];
	WC_Stand_In::$next_item_id        = $state['next_item_id'];
	ActionScheduler_StandIn::$actions = $state['actions'];
}

/**
 * End of a request in this process: the tracker queues what changed, as it does on `shutdown`.
 */
function revisit_e2e_end_request() {
	$plugin = Revisit_Plugin::instance();
	$plugin->tracker->flush();
	$plugin->events->reset_nudge();
}

/**
 * The plugin's queue, counted by status.
 *
 * @return array{pending:int,sent:int,rejected:int,total:int}
 */
function revisit_e2e_queue_counts() {
	$counts          = Revisit_Plugin::instance()->queue->counts();
	$counts['total'] = array_sum( $counts );
	return $counts;
}

/**
 * Save the stand-in's store for the next script and print the answer.
 *
 * @param array $answer What the script reports.
 */
function revisit_e2e_finish( array $answer ) {
	revisit_e2e_end_request();
	$state = array(
		'orders'       => WC_Stand_In::$orders,
		'products'     => WC_Stand_In::$products,
		'notes'        => WC_Stand_In::$notes,
		'next_id'      => WC_Stand_In::$next_id,
		'next_item_id' => WC_Stand_In::$next_item_id,
		'actions'      => ActionScheduler_StandIn::$actions,
	);
	$file  = (string) getenv( 'REVISIT_E2E_STATE' );
	if ( false === file_put_contents( $file . '.tmp', serialize( $state ) ) || ! rename( $file . '.tmp', $file ) ) { // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.serialize_serialize, WordPress.WP.AlternativeFunctions
		fwrite( STDERR, "Could not save the stand-in's store to {$file}.\n" );
		exit( 5 );
	}
	echo wp_json_encode( $answer, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ), "\n";
}
