<?php
/**
 * Prepares the screenshot store (plugin/tools/screenshots.sh), from the command line:
 *
 *   REVISIT_WP_CONFIG=<the harness's wp-config.php> php screenshots-seed.php customers <count>
 *       Creates <count> customer accounts (Persian names, phones, cities) the way a store that
 *       existed before the plugin has them: the Revisit plugin is held back for this one process,
 *       so nothing is queued now; the plugin's backfill finds them later.
 *
 *   REVISIT_WP_CONFIG=<…> php screenshots-seed.php language <locale>
 *       Sets the site language (the WPLANG option), as Settings → General → Site Language does.
 *
 * Only for the screenshot environment's throw-away database.
 *
 * @package Revisit\WooCommerce\Tools
 */

// phpcs:disable WordPress.WP.GlobalVariablesOverride -- this is a WordPress entry point.

$revisit_config = getenv( 'REVISIT_WP_CONFIG' );
if ( ! $revisit_config || ! is_file( $revisit_config ) || $argc < 3 ) {
	fwrite( STDERR, "usage: REVISIT_WP_CONFIG=<wp-config.php> php screenshots-seed.php customers <count> | language <locale>\n" );
	exit( 2 );
}
list( , $revisit_mode, $revisit_arg ) = $argv;

if ( 'customers' === $revisit_mode ) {
	// Hold the Revisit plugin back in this process only (a pre-initialised hook, before plugins load).
	$wp_filter['option_active_plugins'][10][] = array(
		'function'      => static function ( $plugins ) {
			return array_values(
				array_filter(
					(array) $plugins,
					static function ( $plugin ) {
						return 'revisit-woocommerce/revisit-woocommerce.php' !== $plugin;
					}
				)
			);
		},
		'accepted_args' => 1,
	);
}

require $revisit_config;
$_SERVER['HTTP_HOST']       = 'example.org';
$_SERVER['SERVER_NAME']     = 'example.org';
$_SERVER['SERVER_PORT']     = '80';
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$PHP_SELF                   = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
error_reporting( E_ALL & ~E_DEPRECATED ); // WordPress 6.1's bundled libraries on PHP 8.2.
require ABSPATH . 'wp-settings.php';

if ( 'customers' === $revisit_mode ) {
	if ( class_exists( 'Revisit_Plugin' ) ) {
		fwrite( STDERR, "The Revisit plugin was loaded; refusing to seed (the customers would be queued now).\n" );
		exit( 3 );
	}
	$count  = max( 1, (int) $revisit_arg );
	$first  = array( 'سارا', 'علی', 'مریم', 'رضا', 'زهرا', 'محمد', 'فاطمه', 'حسین', 'نرگس', 'امیر', 'لیلا', 'مهدی', 'الهام', 'سینا', 'پریسا', 'کاوه' );
	$last   = array( 'احمدی', 'محمدی', 'حسینی', 'رضایی', 'کریمی', 'موسوی', 'جعفری', 'صادقی', 'رحیمی', 'کاظمی', 'نوری', 'تهرانی', 'شریفی', 'قاسمی' );
	$cities = array( 'تهران', 'اصفهان', 'شیراز', 'مشهد', 'تبریز', 'کرج', 'رشت', 'یزد', 'قم', 'کرمان' );
	$start  = time() - 540 * DAY_IN_SECONDS;
	for ( $i = 1; $i <= $count; $i++ ) {
		$user_id = wp_insert_user(
			array(
				'user_login'      => sprintf( 'customer%04d', $i ),
				'user_email'      => sprintf( 'customer%04d@example.org', $i ),
				'user_pass'       => wp_generate_password( 20 ),
				'first_name'      => $first[ $i % count( $first ) ],
				'last_name'       => $last[ ( $i * 7 ) % count( $last ) ],
				'role'            => 'customer',
				'user_registered' => gmdate( 'Y-m-d H:i:s', $start + (int) ( $i * ( 530 * DAY_IN_SECONDS ) / $count ) ),
			)
		);
		if ( is_wp_error( $user_id ) ) {
			fwrite( STDERR, 'Creating a customer failed: ' . $user_id->get_error_message() . "\n" );
			exit( 4 );
		}
		update_user_meta( $user_id, 'billing_phone', sprintf( '0912%07d', 1000000 + $i * 37 ) );
		update_user_meta( $user_id, 'billing_city', $cities[ $i % count( $cities ) ] );
	}
	echo "customers: {$count} created (Revisit plugin held back)\n";
	exit( 0 );
}

if ( 'language' === $revisit_mode ) {
	update_option( 'WPLANG', $revisit_arg );
	if ( get_option( 'WPLANG' ) !== $revisit_arg ) {
		// WordPress keeps WPLANG unchanged when the core translation is not installed; set it anyway:
		// the plugin's own translation is what the screenshot is about.
		// A fresh site has no WPLANG row yet, so an UPDATE alone would change nothing.
		global $wpdb;
		$wpdb->query(
			$wpdb->prepare(
				"INSERT INTO {$wpdb->options} (option_name, option_value, autoload) VALUES ('WPLANG', %s, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)",
				$revisit_arg
			)
		);
		wp_cache_delete( 'alloptions', 'options' );
		echo "WPLANG: {$revisit_arg} (core translation not installed; written directly)\n";
		exit( 0 );
	}
	echo "WPLANG: {$revisit_arg}\n";
	exit( 0 );
}

fwrite( STDERR, "unknown mode: {$revisit_mode}\n" );
exit( 2 );
