<?php
/**
 * What the end-to-end scripts share: load the WordPress that tests/e2e/test_plugin_against_revisit.py
 * installed (real WordPress 6.5.5, real WooCommerce 9.4.3 with the order storage it chose, the
 * plugin active), with the plugin pointed at a real Revisit server.
 *
 * Every script is one or more "requests" of the store, each in its own PHP process, as on a real
 * host: WordPress, WooCommerce's orders and Action Scheduler's actions, and the plugin's queue all
 * live in MariaDB, so one script sees what the previous one left.
 *
 * Environment:
 *   REVISIT_WP_CONFIG   the wp-config.php written by plugin/tests/bin/make-site.sh (required)
 *   REVISIT_E2E_API_URL the Revisit server the plugin talks to (required)
 *   REVISIT_E2E_PHP_LOG PHP's error log (WordPress debug log); nothing is printed but the JSON answer
 *
 * Every script prints one JSON object on stdout, and nothing else.
 *
 * @package Revisit\WooCommerce\Tests
 */

// phpcs:disable WordPress.WP.GlobalVariablesOverride -- this is a WordPress entry point.

ini_set( 'display_errors', 'stderr' ); // phpcs:ignore WordPress.PHP.IniSet.display_errors_Disallowed -- stdout carries the JSON answer.

foreach ( array( 'REVISIT_WP_CONFIG', 'REVISIT_E2E_API_URL' ) as $revisit_e2e_required ) {
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

if ( ! class_exists( 'Revisit_Plugin' ) || ! class_exists( 'WooCommerce' ) ) {
	fwrite( STDERR, "The Revisit plugin or WooCommerce is not active in this WordPress.\n" );
	exit( 3 );
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
 * One background run of the store, as wp-cron.php makes it every minute: WP-Cron's
 * `action_scheduler_run_queue` event, that is Action Scheduler's queue runner (every due action:
 * the plugin's backfill steps and sends, WooCommerce's own), and what rides on it (the plugin's
 * sender tick). What the sender did in it is seen from outside: its requests to Revisit, the queue
 * and the sender's state before and after.
 *
 * @return array{batches:int,sent:int,rejected:int,outcome:string}|null The send, or null when the
 *                                                                        run sent nothing.
 */
function revisit_e2e_queue_run() {
	$batches = 0;
	$count   = static function ( $response, $context, $class, $args, $url ) use ( &$batches ) {
		if ( false !== strpos( (string) $url, '/rest/v1/events' ) ) {
			++$batches;
		}
	};
	add_action( 'http_api_debug', $count, 10, 5 );
	$before   = Revisit_Plugin::instance()->queue->counts();
	$failures = (int) Revisit_Sender::state()['failures'];
	do_action( 'action_scheduler_run_queue', 'WP Cron' );
	remove_action( 'http_api_debug', $count, 10 );
	if ( 0 === $batches ) {
		return null;
	}
	$after = Revisit_Plugin::instance()->queue->counts();
	$state = Revisit_Sender::state();
	return array(
		'batches'  => $batches,
		'sent'     => $after['sent'] - $before['sent'],
		'rejected' => $after['rejected'] - $before['rejected'],
		'outcome'  => (int) $state['failures'] > $failures ? 'failed' : 'ok',
	);
}

/**
 * A product of the store (the one with this SKU, updated, when there is one: WooCommerce keeps
 * SKUs unique), saved through WooCommerce's CRUD API.
 *
 * @param string $sku   SKU.
 * @param string $name  Name.
 * @param int    $price Price.
 * @return WC_Product
 */
function revisit_e2e_product( $sku, $name, $price ) {
	$id      = wc_get_product_id_by_sku( $sku );
	$product = $id ? wc_get_product( $id ) : new WC_Product_Simple();
	$product->set_name( $name );
	$product->set_sku( $sku );
	$product->set_regular_price( (string) $price );
	$product->set_status( 'publish' );
	$product->save();
	return $product;
}

/**
 * A new order with one product line and, when asked, a shipping line; totals by WooCommerce.
 *
 * @param array $args customer_id, first_name, last_name, phone, email, product, quantity, discount, shipping.
 * @return WC_Order Not saved yet.
 */
function revisit_e2e_new_order( array $args ) {
	$order = new WC_Order();
	$order->set_customer_id( $args['customer_id'] );
	$order->set_billing_first_name( $args['first_name'] );
	$order->set_billing_last_name( $args['last_name'] );
	$order->set_billing_phone( $args['phone'] );
	$order->set_billing_email( $args['email'] );
	$order->set_billing_city( 'تهران' );
	$order->set_billing_country( 'IR' );
	$order->set_payment_method( 'zarinpal' );
	$order->set_payment_method_title( 'زرین‌پال' );
	$product = $args['product'];
	$line    = (float) $product->get_regular_price() * $args['quantity'];
	$item    = new WC_Order_Item_Product();
	$item->set_props(
		array(
			'name'       => $product->get_name(),
			'product_id' => $product->get_id(),
			'quantity'   => $args['quantity'],
			'subtotal'   => $line,
			'total'      => $line - $args['discount'],
		)
	);
	$order->add_item( $item );
	if ( $args['shipping'] > 0 ) {
		$shipping = new WC_Order_Item_Shipping();
		$shipping->set_method_title( 'پست پیشتاز' );
		$shipping->set_method_id( 'flat_rate' );
		$shipping->set_total( $args['shipping'] );
		$order->add_item( $shipping );
	}
	$order->calculate_totals( false );
	return $order;
}

/**
 * End the script's last request and print the answer.
 *
 * @param array $answer What the script reports.
 */
function revisit_e2e_finish( array $answer ) {
	revisit_e2e_end_request();
	echo wp_json_encode( $answer, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ), "\n";
}
