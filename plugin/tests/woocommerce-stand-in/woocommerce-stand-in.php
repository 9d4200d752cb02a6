<?php
/**
 * Plugin Name: WooCommerce stand-in (tests only)
 * Description: A small, honest stand-in for exactly the WooCommerce functions and classes the Revisit plugin touches. Loaded as a must-use plugin by plugin/tests/bootstrap.php; never shipped.
 * Version:     9.3.0-stand-in
 *
 * What it imitates, and how faithfully:
 * - WC_Order / WC_Order_Refund: CRUD getters and setters, meta, items; save() fires the hooks WooCommerce
 *   fires (woocommerce_new_order, woocommerce_update_order, status transitions); payment_complete();
 *   wc_create_refund() fires the refund hooks in WooCommerce's order. Storage is in memory: the plugin
 *   only ever uses the CRUD API, so where orders live does not matter (that is what HPOS compatibility means).
 * - WC_Cart with the fees API and coupons, WC_Session, WC_Coupon with woocommerce_get_shop_coupon_data,
 *   WC_Checkout::process_checkout() with the hooks in WooCommerce's order, notices, wc_price, logger.
 * - Action Scheduler's as_* functions, backed by an in-memory list the tests can run.
 * - FeaturesUtil::declare_compatibility (records declarations).
 *
 * @package Revisit\WooCommerce\Tests
 */

defined( 'ABSPATH' ) || exit;

define( 'WC_VERSION', '9.3.0' );

foreach ( array(
	'class-wc-stand-in.php',
	'class-wc-datetime.php',
	'abstract-wc-data.php',
	'class-wc-order-items.php',
	'class-wc-orders.php',
	'class-wc-product.php',
	'class-wc-coupon.php',
	'class-wc-cart.php',
	'class-wc-checkout.php',
	'class-wc-logger.php',
	'features-util.php',
	'action-scheduler.php',
	'functions.php',
	'class-woocommerce.php',
) as $revisit_stand_in_file ) {
	require_once __DIR__ . '/includes/' . $revisit_stand_in_file;
}

add_action( 'init', array( WC(), 'init' ), 0 );
