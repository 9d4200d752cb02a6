<?php
/**
 * Plugin Name: Revisit tests: payment gateways
 * Description: Three payment gateways for the plugin's tests, built on WooCommerce's own WC_Payment_Gateway: "bank" pays at once, "zarinpal" sends the shopper to the bank (the order waits, pending), "declined" refuses the card. The only stand-in the tests keep: a real gateway needs a real bank on the other end. Linked into the test site's mu-plugins by plugin/tests/bin/make-site.sh; never shipped.
 *
 * @package Revisit\WooCommerce\Tests
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'plugins_loaded',
	static function () {
		if ( ! class_exists( 'WC_Payment_Gateway' ) ) {
			return;
		}
		require_once __DIR__ . '/../lib/class-revisit-test-gateways.php';
		add_filter(
			'woocommerce_payment_gateways',
			static function ( $gateways ) {
				return array_merge( $gateways, array( 'Revisit_Test_Gateway_Bank', 'Revisit_Test_Gateway_Zarinpal', 'Revisit_Test_Gateway_Declined' ) );
			}
		);
	},
	11
);
