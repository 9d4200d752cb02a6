<?php
/**
 * Plugin Name:          Revisit for WooCommerce
 * Plugin URI:           https://revisit.example/woocommerce
 * Description:          Connects your store to Revisit with one access key: orders, customers, refunds and payments reach Revisit reliably, and your customers can spend their Revisit credit and coupons at checkout.
 * Version:              1.0.0
 * Requires at least:    6.1
 * Requires PHP:         7.4
 * Tested up to:         6.5
 * Author:               Revisit
 * License:              GPL-2.0-or-later
 * License URI:          https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:          revisit-woocommerce
 * Domain Path:          /languages
 * WC requires at least: 7.1
 * WC tested up to:      9.4
 * Requires Plugins:     woocommerce
 *
 * @package Revisit\WooCommerce
 */

// Supports PHP 7.4 and newer; tested on PHP 8.2.

defined( 'ABSPATH' ) || exit;

define( 'REVISIT_WC_VERSION', '1.0.0' );
define( 'REVISIT_WC_DB_VERSION', '2' );
define( 'REVISIT_WC_FILE', __FILE__ );
define( 'REVISIT_WC_DIR', plugin_dir_path( __FILE__ ) );

require_once REVISIT_WC_DIR . 'includes/class-revisit-util.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-settings.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-api.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-queue.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-scheduler.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-sender.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-phone.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-events.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-tracker.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-backfill.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-credit.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-coupons.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-admin.php';
require_once REVISIT_WC_DIR . 'includes/class-revisit-plugin.php';
require_once REVISIT_WC_DIR . 'includes/functions.php';

register_activation_hook( __FILE__, array( 'Revisit_Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Revisit_Plugin', 'deactivate' ) );

// High-Performance Order Storage: the plugin only uses WooCommerce's CRUD API, so it works with HPOS on and off.
add_action(
	'before_woocommerce_init',
	static function () {
		if ( class_exists( '\Automattic\WooCommerce\Utilities\FeaturesUtil' ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', REVISIT_WC_FILE, true );
		}
	}
);

Revisit_Plugin::instance()->boot();
