<?php
/**
 * PHPUnit bootstrap: start the local Revisit, point the plugin at it, load the real WordPress that
 * run.sh installed, with real WooCommerce and the Revisit plugin active (the order storage run.sh
 * chose: REVISIT_WC_HPOS=on, WooCommerce's order tables; off, posts), and the tests' payment gateways
 * (mu-plugins/revisit-test-gateways.php: the one thing real WooCommerce cannot give a test, a bank).
 *
 * @package Revisit\WooCommerce\Tests
 */

// phpcs:disable WordPress.WP.GlobalVariablesOverride -- this is a WordPress entry point.

$revisit_config = getenv( 'REVISIT_WP_CONFIG' );
if ( ! $revisit_config || ! is_file( $revisit_config ) ) {
	fwrite( STDERR, "Run the tests with plugin/tests/run.sh (REVISIT_WP_CONFIG is not set).\n" );
	exit( 2 );
}

require_once __DIR__ . '/lib/class-revisit-test-server.php';

$revisit_server = Revisit_Test_Server::start( __DIR__ . '/server/router.php' );
define( 'REVISIT_API_URL', $revisit_server->url() );
define( 'REVISIT_TEST_KEY', 'rvk_test_secret' );

require $revisit_config;

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
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/template.php'; // As on every wp-admin screen (submit_button()).

if ( ! class_exists( 'Revisit_Plugin' ) || ! class_exists( 'WooCommerce' ) || ! did_action( 'woocommerce_init' ) ) {
	fwrite( STDERR, "WooCommerce or the Revisit plugin is not active in the test WordPress.\n" );
	exit( 3 );
}
$revisit_hpos = getenv( 'REVISIT_WC_HPOS' ) ? getenv( 'REVISIT_WC_HPOS' ) : 'on';
if ( ( 'on' === $revisit_hpos ) !== Automattic\WooCommerce\Utilities\OrderUtil::custom_orders_table_usage_is_enabled() ) {
	fwrite( STDERR, "The test WordPress does not store orders as REVISIT_WC_HPOS={$revisit_hpos} asks.\n" );
	exit( 3 );
}
fwrite( STDOUT, 'WordPress ' . get_bloginfo( 'version' ) . ', WooCommerce ' . WC()->version . ', orders in ' . ( 'on' === $revisit_hpos ? "WooCommerce's order tables (HPOS)" : 'posts' ) . "\n" );

// One PHP process plays every shopper's request: there is no browser to keep WooCommerce's session
// cookie, so WooCommerce does not try to send one after PHPUnit has printed (a notice otherwise).
add_filter( 'woocommerce_set_cookie_enabled', '__return_false' );

// Each run of Action Scheduler's queue runner (WP-Cron's `action_scheduler_run_queue`) is a new PHP
// process on a real store, with 30 seconds from its start to run actions in. The runner measures
// from when it was made, which here is when the test run started (and it stops once it guesses it
// will run out of time): every run starts its clock when it starts, as a new process would.
add_action(
	'action_scheduler_before_process_queue',
	static function () {
		$restart = Closure::bind(
			function () {
				$this->created_time = microtime( true );
			},
			ActionScheduler_QueueRunner::instance(),
			ActionScheduler_Abstract_QueueRunner::class // Where the runner keeps its start time.
		);
		$restart();
	}
);

// What Revisit_TestCase let through of WooCommerce's own deprecations, said at the end of the run.
$GLOBALS['revisit_tolerated_deprecations'] = array();
register_shutdown_function(
	static function () {
		foreach ( array_keys( $GLOBALS['revisit_tolerated_deprecations'] ) as $message ) {
			fwrite( STDOUT, "WooCommerce's own deprecation, let through: {$message}\n" );
		}
	}
);

// wp_die() must not end the test run: turn it into an exception.
add_filter(
	'wp_die_handler',
	static function () {
		return array( 'Revisit_Test_Die', 'handler' );
	}
);
add_filter(
	'wp_die_ajax_handler',
	static function () {
		return array( 'Revisit_Test_Die', 'handler' );
	}
);

require_once __DIR__ . '/lib/class-revisit-test-case.php';
