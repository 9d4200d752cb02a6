<?php
/**
 * Shoppers make orders, one request each, through WooCommerce's CRUD API; the plugin's hooks queue
 * the events (no network call). A third of the shoppers sign up through Digits first
 * (phone in Digits' user meta only); the guests type their phone in Persian (۰۹۱۲…) or Arabic-Indic
 * (٠٩٣٥…) digits. Orders end pending, processing (paid), completed (paid, then shipped in a later
 * request), on-hold or failed.
 *
 * With --update-earlier the store also works on the orders of earlier runs, one request each: a paid
 * order is completed, a completed one is fully refunded, another partially refunded, a pending one
 * cancelled, and a Digits customer changes their name.
 *
 * Usage: php orders.php --count=15 [--update-earlier]
 * Prints: {"created": [...], "updated": {...}, "queued": n, "queue": {...}}
 *
 * @package Revisit\WooCommerce\Tests
 */

require __DIR__ . '/lib.php';

$revisit_options = getopt( '', array( 'count:', 'update-earlier' ) );
$revisit_count   = isset( $revisit_options['count'] ) ? max( 0, (int) $revisit_options['count'] ) : 15;
$revisit_before  = revisit_e2e_queue_counts();
$revisit_earlier = wc_get_orders(
	array(
		'type'    => 'shop_order',
		'limit'   => -1,
		'orderby' => 'ID',
		'order'   => 'ASC',
	)
);

/**
 * ASCII digits in another script's digits.
 *
 * @param string $text   Text with ASCII digits.
 * @param int    $zero   Code point of that script's zero (0x06F0 Persian, 0x0660 Arabic-Indic).
 * @return string
 */
function revisit_e2e_digits( $text, $zero ) {
	$map = array();
	for ( $i = 0; $i <= 9; $i++ ) {
		$map[ (string) $i ] = Revisit_Util::utf8_chr( $zero + $i );
	}
	return strtr( $text, $map );
}

/**
 * A shopper who signs up with Digits (phone login): WordPress account, then Digits' phone meta.
 *
 * @param int $n Shopper number.
 * @return int User id.
 */
function revisit_e2e_digits_signup( $n ) {
	$user_id = wp_insert_user(
		array(
			'user_login' => sprintf( 'digits-%03d', $n ),
			'user_pass'  => wp_generate_password(),
			'user_email' => sprintf( 'digits-%03d@example.ir', $n ),
			'first_name' => 'مریم',
			'last_name'  => sprintf( 'کاربر %d', $n ),
			'role'       => 'customer',
		)
	);
	if ( is_wp_error( $user_id ) ) {
		fwrite( STDERR, 'wp_insert_user: ' . $user_id->get_error_message() . "\n" );
		exit( 6 );
	}
	$national = sprintf( '901%07d', $n );
	update_user_meta( $user_id, 'digits_phone', '+98' . $national );
	update_user_meta( $user_id, 'digt_countrycode', '+98' );
	update_user_meta( $user_id, 'digits_phone_no', $national );
	do_action( 'digits_user_created', $user_id );
	return (int) $user_id;
}

/**
 * One shopper's order, saved through the CRUD API (fires woocommerce_new_order), paid when `$paid`.
 *
 * @param int $n Order number in this store (1, 2, …).
 * @return WC_Order
 */
function revisit_e2e_order( $n ) {
	$user_id = 0;
	$phone   = '';
	if ( 0 === $n % 3 ) {
		$user_id = revisit_e2e_digits_signup( $n );
	} elseif ( 1 === $n % 3 ) {
		$phone = revisit_e2e_digits( sprintf( '0912 %03d %04d', intdiv( $n, 10000 ), $n % 10000 ), 0x06F0 );
	} else {
		$phone = revisit_e2e_digits( sprintf( '0935-%03d-%04d', intdiv( $n, 10000 ), $n % 10000 ), 0x0660 );
	}
	$price    = 150000 + 25000 * ( $n % 7 );
	$quantity = 1 + $n % 3;
	$discount = 0 === $n % 4 ? 20000 : 0;
	$order    = revisit_e2e_new_order(
		array(
			'customer_id' => $user_id,
			'first_name'  => 'سارا',
			'last_name'   => sprintf( 'خریدار %d', $n ),
			'phone'       => $phone,
			'email'       => $user_id ? '' : sprintf( 'guest-%03d@example.ir', $n ),
			'product'     => revisit_e2e_product( sprintf( 'TEA-%d', $n % 7 ), sprintf( 'چای ماسالا %d', $n % 7 ), $price ),
			'quantity'    => $quantity,
			'discount'    => $discount,
			'shipping'    => 1 === $n % 2 ? 50000 : 0,
		)
	);
	$order->save();
	switch ( $n % 5 ) {
		case 1:
		case 2:
			$order->payment_complete( sprintf( 'ZP-%06d', $order->get_id() ) );
			break;
		case 3:
			$order->update_status( 'on-hold', 'کارت به کارت' );
			break;
		case 4:
			$order->update_status( 'failed', 'پرداخت ناموفق' );
			break;
	}
	return $order;
}

// New orders, one shopper's request each.
$revisit_created = array();
$revisit_first   = count( $revisit_earlier ) + 1;
for ( $revisit_n = $revisit_first; $revisit_n < $revisit_first + $revisit_count; $revisit_n++ ) {
	$revisit_order = revisit_e2e_order( $revisit_n );
	revisit_e2e_end_request();
	$revisit_created[ $revisit_n ] = $revisit_order->get_id();
}
// Later, the shop ships the orders of the second kind: one admin request each.
foreach ( $revisit_created as $revisit_n => $revisit_id ) {
	if ( 2 === $revisit_n % 5 ) {
		wc_get_order( $revisit_id )->update_status( 'completed' );
		revisit_e2e_end_request();
	}
}

// The store works on earlier orders, one admin request each.
$revisit_updated = array();
if ( isset( $revisit_options['update-earlier'] ) ) {
	$revisit_by_status = array();
	foreach ( $revisit_earlier as $revisit_order ) {
		$revisit_by_status[ $revisit_order->get_status() ][] = $revisit_order->get_id();
	}
	$revisit_pick = static function ( $status, $index ) use ( $revisit_by_status ) {
		if ( ! isset( $revisit_by_status[ $status ][ $index ] ) ) {
			fwrite( STDERR, "No earlier {$status} order #{$index} to work on; make more orders first.\n" );
			exit( 7 );
		}
		return $revisit_by_status[ $status ][ $index ];
	};

	$revisit_id = $revisit_pick( 'processing', 0 );
	wc_get_order( $revisit_id )->update_status( 'completed' );
	revisit_e2e_end_request();
	$revisit_updated['completed'] = $revisit_id;

	$revisit_id     = $revisit_pick( 'completed', 0 );
	$revisit_refund = wc_create_refund(
		array(
			'order_id' => $revisit_id,
			'amount'   => wc_get_order( $revisit_id )->get_total(),
			'reason'   => 'انصراف از خرید',
		)
	);
	revisit_e2e_end_request();
	$revisit_updated['fully_refunded'] = array( $revisit_id, $revisit_refund->get_id() );

	$revisit_id     = $revisit_pick( 'completed', 1 );
	$revisit_refund = wc_create_refund(
		array(
			'order_id' => $revisit_id,
			'amount'   => '100000',
			'reason'   => 'یک قلم آسیب دیده بود',
		)
	);
	revisit_e2e_end_request();
	$revisit_updated['partially_refunded'] = array( $revisit_id, $revisit_refund->get_id() );

	$revisit_id = $revisit_pick( 'pending', 0 );
	wc_get_order( $revisit_id )->update_status( 'cancelled' );
	revisit_e2e_end_request();
	$revisit_updated['cancelled'] = $revisit_id;

	foreach ( $revisit_earlier as $revisit_order ) {
		if ( $revisit_order->get_customer_id() ) {
			wp_update_user(
				array(
					'ID'         => $revisit_order->get_customer_id(),
					'first_name' => 'مریم‌السادات',
				)
			);
			revisit_e2e_end_request();
			$revisit_updated['customer_renamed'] = $revisit_order->get_customer_id();
			break;
		}
	}
}

$revisit_after = revisit_e2e_queue_counts();
revisit_e2e_finish(
	array(
		'created' => array_values( $revisit_created ),
		'updated' => (object) $revisit_updated,
		'queued'  => $revisit_after['total'] - $revisit_before['total'],
		'queue'   => $revisit_after,
	)
);
