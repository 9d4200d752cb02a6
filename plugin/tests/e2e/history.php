<?php
/**
 * A store's history from before the plugin was connected (no access key yet, so the plugin queues
 * nothing), made through WooCommerce's CRUD API with the dates it really had: customer accounts
 * (WC_Customer), then --orders orders over the last weeks (wc_create_order()), each changed several
 * times, with refunds (wc_create_refund()) made at various times. Every change is saved with its own
 * date (date_paid, date_completed, date_modified, a refund's date_created), as if it had happened
 * then; with posts storage WordPress stamps every update of the order's post with the current time,
 * so there the orders' last change is today. Four kinds of order, in turn:
 *
 *   0  paid an hour after it was placed, completed two days later, partly refunded on day 3, its
 *      billing phone corrected on day 10 (the refund is older than the order's last change);
 *   1  paid, partly refunded on day 1, completed on day 5, refunded again on day 6;
 *   2  paid, completed on day 1, fully refunded on day 4 (WooCommerce marks it refunded);
 *   3  on hold, then cancelled on day 2; never paid, never refunded.
 *
 * Usage: php history.php [--orders=12]
 * Prints: {"customers": [...], "orders": [...], "refunds": n, "refunds_before_last_change": n,
 *          "queue": {...}}
 *
 * @package Revisit\WooCommerce\Tests
 */

require __DIR__ . '/lib.php';

if ( '' !== Revisit_Settings::access_key() ) {
	fwrite( STDERR, "history.php makes the history of a store that is not connected yet; this one has a key.\n" );
	exit( 6 );
}
$revisit_options = getopt( '', array( 'orders:' ) );
$revisit_count   = isset( $revisit_options['orders'] ) ? max( 4, (int) $revisit_options['orders'] ) : 12;
$revisit_start   = time() - 60 * DAY_IN_SECONDS;

/**
 * Save an order's change as made at `$when`.
 *
 * @param WC_Order $order Order with unsaved changes.
 * @param int      $when  Timestamp.
 */
function revisit_e2e_save_at( WC_Order $order, $when ) {
	$order->set_date_modified( $when );
	$order->save();
	revisit_e2e_end_request();
}

/**
 * A refund made at `$when` (WooCommerce's own wc_create_refund(), then dated). A refund of the whole
 * rest marks the order refunded; that change is dated too.
 *
 * @param int    $order_id Order.
 * @param string $amount   Amount.
 * @param string $reason   Reason.
 * @param int    $when     Timestamp.
 * @return WC_Order_Refund
 */
function revisit_e2e_refund_at( $order_id, $amount, $reason, $when ) {
	$refund = wc_create_refund(
		array(
			'order_id' => $order_id,
			'amount'   => $amount,
			'reason'   => $reason,
		)
	);
	if ( is_wp_error( $refund ) ) {
		fwrite( STDERR, 'wc_create_refund: ' . $refund->get_error_message() . "\n" );
		exit( 7 );
	}
	$refund->set_date_created( $when );
	$refund->save();
	revisit_e2e_save_at( wc_get_order( $order_id ), $when );
	return $refund;
}

/**
 * Paid at `$when` through payment_complete() (as a gateway's callback does), then dated.
 *
 * @param WC_Order $order Order.
 * @param int      $when  Timestamp.
 */
function revisit_e2e_paid_at( WC_Order $order, $when ) {
	$order->payment_complete( sprintf( 'ZP-H-%06d', $order->get_id() ) );
	$order = wc_get_order( $order->get_id() );
	$order->set_date_paid( $when );
	revisit_e2e_save_at( $order, $when );
}

/**
 * A status change at `$when`.
 *
 * @param int    $order_id Order.
 * @param string $status   New status.
 * @param int    $when     Timestamp.
 */
function revisit_e2e_status_at( $order_id, $status, $when ) {
	$order = wc_get_order( $order_id );
	$order->set_status( $status );
	if ( 'completed' === $status ) {
		$order->set_date_completed( $when );
	}
	revisit_e2e_save_at( $order, $when );
}

// Customer accounts (WooCommerce's customer CRUD), made on the first day.
$revisit_customers = array();
for ( $revisit_c = 1; $revisit_c <= 4; $revisit_c++ ) {
	$revisit_customer = new WC_Customer();
	$revisit_customer->set_username( sprintf( 'regular-%d', $revisit_c ) );
	$revisit_customer->set_email( sprintf( 'regular-%d@example.ir', $revisit_c ) );
	$revisit_customer->set_password( wp_generate_password() );
	$revisit_customer->set_first_name( 'نرگس' );
	$revisit_customer->set_last_name( sprintf( 'مشتری %d', $revisit_c ) );
	$revisit_customer->set_billing_phone( sprintf( '0912%07d', 5550000 + $revisit_c ) );
	$revisit_customer->set_billing_city( 'اصفهان' );
	$revisit_customer->set_date_created( $revisit_start );
	$revisit_customer->save();
	$revisit_customers[] = $revisit_customer->get_id();
	revisit_e2e_end_request();
}

$revisit_orders  = array();
$revisit_refunds = array();
for ( $revisit_i = 0; $revisit_i < $revisit_count; $revisit_i++ ) {
	$revisit_placed  = $revisit_start + $revisit_i * 2 * DAY_IN_SECONDS + 10 * HOUR_IN_SECONDS;
	$revisit_user_id = 0 === $revisit_i % 3 ? 0 : $revisit_customers[ $revisit_i % count( $revisit_customers ) ];
	// Made as WooCommerce's "Add order" screen and importers make them: wc_create_order(), then lines.
	$revisit_order = wc_create_order(
		array(
			'customer_id' => $revisit_user_id,
			'created_via' => 'admin',
		)
	);
	if ( is_wp_error( $revisit_order ) ) {
		fwrite( STDERR, 'wc_create_order: ' . $revisit_order->get_error_message() . "\n" );
		exit( 7 );
	}
	$revisit_order->set_billing_first_name( 'نرگس' );
	$revisit_order->set_billing_last_name( sprintf( 'خریدار %d', $revisit_i ) );
	$revisit_order->set_billing_phone( sprintf( '0935%07d', 4440000 + $revisit_i ) );
	$revisit_order->set_billing_email( sprintf( 'history-%02d@example.ir', $revisit_i ) );
	$revisit_order->set_billing_city( 'مشهد' );
	$revisit_order->set_billing_country( 'IR' );
	$revisit_order->set_payment_method( 'zarinpal' );
	$revisit_order->add_product(
		revisit_e2e_product( sprintf( 'SAFFRON-%d', $revisit_i % 3 ), sprintf( 'زعفران %d گرمی', 1 + $revisit_i % 3 ), 300000 + 100000 * ( $revisit_i % 3 ) ),
		1 + $revisit_i % 2
	);
	$revisit_shipping = new WC_Order_Item_Shipping();
	$revisit_shipping->set_method_title( 'پست پیشتاز' );
	$revisit_shipping->set_method_id( 'flat_rate' );
	$revisit_shipping->set_total( 60000 );
	$revisit_order->add_item( $revisit_shipping );
	$revisit_order->calculate_totals( false );
	$revisit_order->set_date_created( $revisit_placed );
	revisit_e2e_save_at( $revisit_order, $revisit_placed );
	$revisit_id = $revisit_order->get_id();
	$revisit_day = static function ( $days, $hours = 0 ) use ( $revisit_placed ) {
		return $revisit_placed + (int) ( $days * DAY_IN_SECONDS + $hours * HOUR_IN_SECONDS );
	};
	switch ( $revisit_i % 4 ) {
		case 0:
			revisit_e2e_paid_at( wc_get_order( $revisit_id ), $revisit_day( 0, 1 ) );
			revisit_e2e_status_at( $revisit_id, 'completed', $revisit_day( 2 ) );
			$revisit_refunds[] = revisit_e2e_refund_at( $revisit_id, '100000', 'یک بسته نرسید', $revisit_day( 3 ) );
			$revisit_order     = wc_get_order( $revisit_id );
			$revisit_order->set_billing_phone( sprintf( '0936%07d', 4440000 + $revisit_i ) );
			revisit_e2e_save_at( $revisit_order, $revisit_day( 10 ) );
			break;
		case 1:
			revisit_e2e_paid_at( wc_get_order( $revisit_id ), $revisit_day( 0, 0.5 ) );
			$revisit_refunds[] = revisit_e2e_refund_at( $revisit_id, '50000', 'هزینه ارسال', $revisit_day( 1 ) );
			revisit_e2e_status_at( $revisit_id, 'completed', $revisit_day( 5 ) );
			$revisit_refunds[] = revisit_e2e_refund_at( $revisit_id, '70000', 'بسته‌بندی آسیب دیده', $revisit_day( 6 ) );
			break;
		case 2:
			revisit_e2e_paid_at( wc_get_order( $revisit_id ), $revisit_day( 0, 1 ) );
			revisit_e2e_status_at( $revisit_id, 'completed', $revisit_day( 1 ) );
			$revisit_refunds[] = revisit_e2e_refund_at( $revisit_id, wc_get_order( $revisit_id )->get_total(), 'انصراف از خرید', $revisit_day( 4 ) );
			break;
		default:
			revisit_e2e_status_at( $revisit_id, 'on-hold', $revisit_day( 0, 1 ) );
			revisit_e2e_status_at( $revisit_id, 'cancelled', $revisit_day( 2 ) );
	}
	$revisit_orders[] = $revisit_id;
}

// How many refunds are older than their order's last change (what a backfill sends "out of order").
$revisit_older = 0;
foreach ( $revisit_refunds as $revisit_refund ) {
	$revisit_parent = wc_get_order( $revisit_refund->get_parent_id() );
	if ( $revisit_refund->get_date_created()->getTimestamp() < $revisit_parent->get_date_modified()->getTimestamp() ) {
		++$revisit_older;
	}
}

revisit_e2e_finish(
	array(
		'customers'                  => $revisit_customers,
		'orders'                     => $revisit_orders,
		'refunds'                    => count( $revisit_refunds ),
		'refunds_before_last_change' => $revisit_older,
		'queue'                      => revisit_e2e_queue_counts(),
	)
);
