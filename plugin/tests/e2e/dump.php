<?php
/**
 * What the store holds, read back through WooCommerce's CRUD API and the plugin's queue table, for
 * the order-by-order comparison with what Revisit holds.
 *
 * Usage: php dump.php
 * Prints: {"currency": "IRT", "orders": [...], "customers": [...], "queue": [...]}
 *
 * @package Revisit\WooCommerce\Tests
 */

require __DIR__ . '/lib.php';

$revisit_orders = array();
foreach ( wc_get_orders(
	array(
		'type'    => 'shop_order',
		'limit'   => -1,
		'orderby' => 'ID',
		'order'   => 'ASC',
	)
) as $revisit_order ) {
	$revisit_refunds = array();
	foreach ( $revisit_order->get_refunds() as $revisit_refund ) {
		$revisit_refunds[] = array(
			'id'           => $revisit_refund->get_id(),
			'amount'       => (string) $revisit_refund->get_amount(),
			'reason'       => $revisit_refund->get_reason(),
			'date_created' => $revisit_refund->get_date_created()->getTimestamp(),
		);
	}
	$revisit_paid     = $revisit_order->get_date_paid();
	$revisit_orders[] = array(
		'id'             => $revisit_order->get_id(),
		'status'         => $revisit_order->get_status(),
		'total'          => (string) $revisit_order->get_total(),
		'currency'       => $revisit_order->get_currency(),
		'customer_id'    => $revisit_order->get_customer_id(),
		'billing_phone'  => $revisit_order->get_billing_phone(),
		'transaction_id' => $revisit_order->get_transaction_id(),
		'paid'           => null !== $revisit_paid,
		'date_modified'  => $revisit_order->get_date_modified()->getTimestamp(),
		'refunds'        => $revisit_refunds,
	);
}

$revisit_customers = array();
foreach ( get_users(
	array(
		'role'    => 'customer',
		'orderby' => 'ID',
	)
) as $revisit_user ) {
	$revisit_customers[] = array(
		'id'           => $revisit_user->ID,
		'first_name'   => (string) get_user_meta( $revisit_user->ID, 'first_name', true ),
		'digits_phone' => (string) get_user_meta( $revisit_user->ID, 'digits_phone', true ),
	);
}

global $wpdb;
$revisit_queue = $wpdb->get_results( 'SELECT event_id, type, status, attempts FROM ' . Revisit_Queue::table() . ' ORDER BY id', ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared, WordPress.DB.DirectDatabaseQuery

revisit_e2e_finish(
	array(
		'currency'  => get_woocommerce_currency(),
		'orders'    => $revisit_orders,
		'customers' => $revisit_customers,
		'queue'     => array_map(
			static function ( $row ) {
				$row['attempts'] = (int) $row['attempts'];
				return $row;
			},
			(array) $revisit_queue
		),
	)
);
