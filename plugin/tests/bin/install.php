<?php
/**
 * Drop and create the test database, run wp_install(), set the store up (Tehran time, Toman) and
 * activate the plugin through WordPress (which runs its activation hook: the queue table).
 *
 * Usage: REVISIT_WP_CONFIG=/path/wp-config.php php install.php
 *
 * @package Revisit\WooCommerce\Tests
 */

// phpcs:disable WordPress.WP.GlobalVariablesOverride -- this is a WordPress entry point.

$config = getenv( 'REVISIT_WP_CONFIG' );
if ( ! $config || ! is_file( $config ) ) {
	fwrite( STDERR, "Set REVISIT_WP_CONFIG to the tests' wp-config.php\n" );
	exit( 2 );
}
// WordPress loads must-use plugins even while installing; the WooCommerce stand-in needs the tables first.
define( 'WPMU_PLUGIN_DIR', sys_get_temp_dir() . '/revisit-no-mu-plugins' );
// WordPress 6.1's bundled Requests library predates PHP 8.1's return types; keep the installer quiet.
define( 'WP_DEBUG', false );
require $config;

// A fresh database every run.
list( $host, $port ) = array_pad( explode( ':', DB_HOST, 2 ), 2, '3306' );
mysqli_report( MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT );
try {
	$mysqli = new mysqli( $host, DB_USER, DB_PASSWORD, '', (int) $port );
} catch ( mysqli_sql_exception $e ) {
	fwrite( STDERR, 'Cannot connect to MariaDB at ' . DB_HOST . ' as ' . DB_USER . ': ' . $e->getMessage() . "\n" );
	exit( 3 );
}
$name = str_replace( '`', '', DB_NAME );
$mysqli->query( "DROP DATABASE IF EXISTS `{$name}`" );
$mysqli->query( "CREATE DATABASE `{$name}` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" );
$mysqli->close();
echo "database {$name}: dropped and created\n";

define( 'WP_INSTALLING', true );

/**
 * No "new site" e-mail (there is no mail server on CI machines).
 */
function wp_new_blog_notification() {}
$_SERVER['HTTP_HOST']       = 'example.org';
$_SERVER['SERVER_NAME']     = 'example.org';
$_SERVER['SERVER_PORT']     = '80';
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$PHP_SELF                   = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';

require ABSPATH . 'wp-settings.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$result = wp_install( 'Revisit test store', 'admin', 'admin@example.org', true, '', 'password' );
update_option( 'siteurl', 'http://example.org' );
update_option( 'home', 'http://example.org' );
update_option( 'timezone_string', 'Asia/Tehran' );
update_option( 'woocommerce_currency', 'IRT' );
update_option( 'woocommerce_price_num_decimals', '0' );
echo 'wp_install(): WordPress ' . get_bloginfo( 'version' ) . ", admin user {$result['user_id']}\n";

$activated = activate_plugin( 'revisit-woocommerce/revisit-woocommerce.php' );
if ( is_wp_error( $activated ) ) {
	fwrite( STDERR, 'Activating the plugin failed: ' . $activated->get_error_message() . "\n" );
	exit( 4 );
}
global $wpdb;
$table = $wpdb->prefix . 'revisit_queue';
if ( $table !== $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) ) ) {
	fwrite( STDERR, "Activation did not create {$table}\n" );
	exit( 5 );
}
echo "plugin activated; {$table} created\n";
