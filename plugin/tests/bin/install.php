<?php
/**
 * Install the test store from scratch, the way a store owner would, one PHP process per step (as
 * one wp-admin request each):
 *
 *   core     drop and create the database, wp_install(), the store's settings (Tehran time, Toman);
 *   plugins  activate WooCommerce through WordPress (its activation hook runs WC_Install::install():
 *            its tables, Action Scheduler's tables, its roles and pages), choose the order storage
 *            (REVISIT_WC_HPOS: on = WooCommerce's own order tables, off = posts), with compatibility
 *            mode (keeping the other storage in sync) off, so each storage is really the only one;
 *            then activate the Revisit plugin (its activation hook creates the queue table);
 *   check    a normal page load: both plugins active, the order storage is the chosen one, the
 *            tables are there. Prints one line per step.
 *
 * Usage: REVISIT_WP_CONFIG=/path/wp-config.php [REVISIT_WC_HPOS=on|off] php install.php [step]
 * (no step: all three, each in its own process).
 *
 * @package Revisit\WooCommerce\Tests
 */

// phpcs:disable WordPress.WP.GlobalVariablesOverride -- this is a WordPress entry point.

$config = getenv( 'REVISIT_WP_CONFIG' );
if ( ! $config || ! is_file( $config ) ) {
	fwrite( STDERR, "Set REVISIT_WP_CONFIG to the tests' wp-config.php\n" );
	exit( 2 );
}
$hpos = getenv( 'REVISIT_WC_HPOS' ) ? (string) getenv( 'REVISIT_WC_HPOS' ) : 'on';
if ( ! in_array( $hpos, array( 'on', 'off' ), true ) ) {
	fwrite( STDERR, "REVISIT_WC_HPOS must be on or off, not {$hpos}\n" );
	exit( 2 );
}
$step = isset( $argv[1] ) ? $argv[1] : '';

if ( '' === $step ) {
	foreach ( array( 'core', 'plugins', 'check' ) as $each ) {
		passthru( escapeshellarg( PHP_BINARY ) . ' ' . escapeshellarg( __FILE__ ) . ' ' . $each, $status );
		if ( 0 !== $status ) {
			exit( $status );
		}
	}
	exit( 0 );
}
if ( ! in_array( $step, array( 'core', 'plugins', 'check' ), true ) ) {
	fwrite( STDERR, "usage: php install.php [core|plugins|check]\n" );
	exit( 2 );
}

require $config;

$_SERVER['HTTP_HOST']       = 'example.org';
$_SERVER['SERVER_NAME']     = 'example.org';
$_SERVER['SERVER_PORT']     = '80';
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
$PHP_SELF                   = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';

if ( 'core' === $step ) {
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

	define( 'WP_INSTALLING', true );

	/**
	 * No "new site" e-mail (there is no mail server on CI machines).
	 */
	function wp_new_blog_notification() {}

	require ABSPATH . 'wp-settings.php';
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';

	$result = wp_install( 'Revisit test store', 'admin', 'admin@example.org', true, '', 'password' );
	update_option( 'siteurl', 'http://example.org' );
	update_option( 'home', 'http://example.org' );
	update_option( 'timezone_string', 'Asia/Tehran' );
	echo "database {$name}: created; wp_install(): WordPress " . get_bloginfo( 'version' ) . ", admin user {$result['user_id']}\n";
	exit( 0 );
}

require ABSPATH . 'wp-settings.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

use Automattic\WooCommerce\Internal\DataStores\Orders\CustomOrdersTableController;
use Automattic\WooCommerce\Internal\DataStores\Orders\DataSynchronizer;
use Automattic\WooCommerce\Utilities\OrderUtil;

/**
 * Stop with a message.
 *
 * @param string $message Message.
 * @param int    $status  Exit status.
 */
function revisit_install_fail( $message, $status ) {
	fwrite( STDERR, $message . "\n" );
	exit( $status );
}

global $wpdb;
if ( 'plugins' === $step ) {
	wp_set_current_user( 1 ); // The administrator activates plugins, as in wp-admin.
	$activated = activate_plugin( 'woocommerce/woocommerce.php' );
	if ( is_wp_error( $activated ) ) {
		revisit_install_fail( 'Activating WooCommerce failed: ' . $activated->get_error_message() . ' ' . wp_json_encode( $activated->get_error_data() ), 4 );
	}
	// The store's settings, as the store owner sets them in WooCommerce → Settings.
	update_option( 'woocommerce_default_country', 'IR:THR' );
	update_option( 'woocommerce_currency', 'IRT' );
	update_option( 'woocommerce_price_num_decimals', '0' );
	update_option( 'woocommerce_calc_taxes', 'no' );
	update_option( 'woocommerce_enable_coupons', 'yes' );
	update_option( 'woocommerce_onboarding_profile', array( 'skipped' => true ) );
	delete_transient( '_wc_activation_redirect' ); // The owner has set the store up: no welcome wizard.
	// WooCommerce → Settings → Advanced → Features: the order storage, compatibility mode off.
	update_option( DataSynchronizer::ORDERS_DATA_SYNC_ENABLED_OPTION, 'no' );
	$controller = wc_get_container()->get( CustomOrdersTableController::class );
	update_option( CustomOrdersTableController::CUSTOM_ORDERS_TABLE_USAGE_ENABLED_OPTION, 'on' === $hpos ? 'yes' : 'no' );

	$activated = activate_plugin( 'revisit-woocommerce/revisit-woocommerce.php' );
	if ( is_wp_error( $activated ) ) {
		revisit_install_fail( 'Activating the Revisit plugin failed: ' . $activated->get_error_message(), 4 );
	}
	echo 'WooCommerce ' . WC()->version . " and the Revisit plugin activated\n";
	exit( 0 );
}

// check: a page load like any other.
foreach ( array( 'woocommerce/woocommerce.php', 'revisit-woocommerce/revisit-woocommerce.php' ) as $plugin ) {
	if ( ! is_plugin_active( $plugin ) ) {
		revisit_install_fail( "{$plugin} is not active", 5 );
	}
}
if ( ! class_exists( 'Revisit_Plugin' ) || ! function_exists( 'WC' ) || ! did_action( 'woocommerce_init' ) ) {
	revisit_install_fail( 'WooCommerce or the Revisit plugin did not load', 5 );
}
$hpos_on = OrderUtil::custom_orders_table_usage_is_enabled();
if ( ( 'on' === $hpos ) !== $hpos_on ) {
	revisit_install_fail( "Order storage is not the chosen one (REVISIT_WC_HPOS={$hpos})", 6 );
}
if ( wc_get_container()->get( DataSynchronizer::class )->data_sync_is_enabled() ) {
	revisit_install_fail( 'WooCommerce keeps both order storages in sync (compatibility mode); it must be off', 6 );
}
$tables = array(
	Revisit_Queue::table(),
	$wpdb->prefix . 'wc_orders',
	$wpdb->prefix . 'woocommerce_order_items',
	$wpdb->prefix . 'wc_product_meta_lookup',
	$wpdb->prefix . 'actionscheduler_actions',
);
foreach ( $tables as $table ) {
	if ( $table !== $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) ) ) {
		revisit_install_fail( "Table {$table} is missing", 7 );
	}
}
echo 'ready: WordPress ' . get_bloginfo( 'version' ) . ', WooCommerce ' . WC()->version . ', orders stored in ' . ( $hpos_on ? "WooCommerce's order tables (HPOS)" : 'posts' ) . ', Action Scheduler ' . ActionScheduler_Versions::instance()->latest_version() . "\n";
