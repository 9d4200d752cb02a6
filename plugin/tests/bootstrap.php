<?php
/**
 * PHPUnit bootstrap: start the local Revisit, point the plugin at it, load the real WordPress that
 * run.sh installed (the WooCommerce stand-in loads as a must-use plugin, the Revisit plugin as an
 * active plugin).
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

// WordPress 6.1 bundles Requests 1.8, whose classes declare ArrayAccess methods without PHP 8.1
// return types: PHP reports that once, when the class loads. Load them here, quietly, with one real
// request, so the deprecations of WordPress core do not count against the plugin's tests (the
// plugin's own code still runs with every deprecation turned into a failure).
$revisit_level = error_reporting();
error_reporting( $revisit_level & ~E_DEPRECATED );
wp_remote_get( REVISIT_API_URL . '/_state', array( 'timeout' => 5 ) );
error_reporting( $revisit_level );

if ( ! class_exists( 'Revisit_Plugin' ) ) {
	fwrite( STDERR, "The Revisit plugin is not active in the test WordPress.\n" );
	exit( 3 );
}

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
