<?php
/**
 * WooCommerce functions the plugin (or the tests) call.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * An order or refund by id (a fresh object, as from the database), or false.
 *
 * @param mixed $order_id Id or object.
 * @return WC_Order|WC_Order_Refund|false
 */
function wc_get_order( $order_id = false ) {
	if ( is_object( $order_id ) && is_callable( array( $order_id, 'get_id' ) ) ) {
		$order_id = $order_id->get_id();
	}
	$order_id = absint( $order_id );
	if ( ! $order_id || ! isset( WC_Stand_In::$orders[ $order_id ] ) ) {
		return false;
	}
	$class = WC_Stand_In::$orders[ $order_id ]['class'];
	return new $class( $order_id );
}

/**
 * Create an order.
 *
 * @param array $args customer_id, status.
 * @return WC_Order
 */
function wc_create_order( $args = array() ) {
	$order = new WC_Order();
	if ( isset( $args['customer_id'] ) ) {
		$order->set_customer_id( $args['customer_id'] );
	}
	if ( isset( $args['status'] ) ) {
		$order->set_status( $args['status'] );
	}
	$order->save();
	return $order;
}

/**
 * Query orders: type, status, customer_id, orderby (ID|date), order, limit, offset, return, paginate.
 *
 * @param array $args Query.
 * @return array|object
 */
function wc_get_orders( $args ) {
	$args     = wp_parse_args(
		$args,
		array(
			'type'     => 'shop_order',
			'status'   => array_keys( wc_get_order_statuses() ),
			'limit'    => get_option( 'posts_per_page' ),
			'offset'   => 0,
			'orderby'  => 'date',
			'order'    => 'DESC',
			'return'   => 'objects',
			'paginate' => false,
		)
	);
	$types    = (array) $args['type'];
	$statuses = array_map(
		static function ( $status ) {
			return 0 === strpos( $status, 'wc-' ) ? substr( $status, 3 ) : $status;
		},
		(array) $args['status']
	);
	$ids      = array();
	foreach ( WC_Stand_In::$orders as $id => $stored ) {
		$type = 'WC_Order_Refund' === $stored['class'] ? 'shop_order_refund' : 'shop_order';
		if ( ! in_array( $type, $types, true ) ) {
			continue;
		}
		if ( 'shop_order' === $type && ! in_array( $stored['data']['status'], $statuses, true ) ) {
			continue;
		}
		if ( isset( $args['customer_id'] ) && (int) $stored['data']['customer_id'] !== (int) $args['customer_id'] ) {
			continue;
		}
		$ids[] = $id;
	}
	sort( $ids );
	if ( 'DESC' === strtoupper( $args['order'] ) ) {
		$ids = array_reverse( $ids );
	}
	$total = count( $ids );
	$limit = (int) $args['limit'];
	$ids   = array_slice( $ids, (int) $args['offset'], $limit < 0 ? null : $limit );
	$found = 'ids' === $args['return'] ? $ids : array_map( 'wc_get_order', $ids );
	if ( $args['paginate'] ) {
		return (object) array(
			'orders'        => $found,
			'total'         => $total,
			'max_num_pages' => $limit > 0 ? (int) ceil( $total / $limit ) : 1,
		);
	}
	return $found;
}

/**
 * Refund an order, firing WooCommerce's refund hooks in WooCommerce's order.
 *
 * @param array $args order_id, amount, reason.
 * @return WC_Order_Refund|WP_Error
 */
function wc_create_refund( $args = array() ) {
	$order = wc_get_order( $args['order_id'] );
	if ( ! $order instanceof WC_Order ) {
		return new WP_Error( 'invalid_order', 'Invalid order ID.' );
	}
	$remaining = (float) $order->get_total() - $order->get_total_refunded();
	$amount    = (float) $args['amount'];
	if ( $amount <= 0 || $amount > $remaining + 0.0001 ) {
		return new WP_Error( 'invalid_amount', 'Invalid refund amount.' );
	}
	$refund = new WC_Order_Refund();
	$refund->set_parent_id( $order->get_id() );
	$refund->set_currency( $order->get_currency() );
	$refund->set_amount( $amount );
	$refund->set_reason( isset( $args['reason'] ) ? $args['reason'] : '' );
	$refund->set_total( -1 * $amount );
	do_action( 'woocommerce_create_refund', $refund, $args );
	$refund->save();
	if ( $remaining - $amount > 0.0001 ) {
		do_action( 'woocommerce_order_partially_refunded', $order->get_id(), $refund->get_id() );
	} else {
		do_action( 'woocommerce_order_fully_refunded', $order->get_id(), $refund->get_id() );
		$parent_status = apply_filters( 'woocommerce_order_fully_refunded_status', 'refunded', $order->get_id(), $refund->get_id() );
		if ( $parent_status ) {
			$order->update_status( $parent_status );
		}
	}
	$order->set_date_modified( time() );
	$order->save();
	do_action( 'woocommerce_refund_created', $refund->get_id(), $args );
	do_action( 'woocommerce_order_refunded', $order->get_id(), $refund->get_id() );
	return $refund;
}

/**
 * Order statuses.
 *
 * @return array
 */
function wc_get_order_statuses() {
	return apply_filters(
		'wc_order_statuses',
		array(
			'wc-pending'    => 'Pending payment',
			'wc-processing' => 'Processing',
			'wc-on-hold'    => 'On hold',
			'wc-completed'  => 'Completed',
			'wc-cancelled'  => 'Cancelled',
			'wc-refunded'   => 'Refunded',
			'wc-failed'     => 'Failed',
		)
	);
}

/**
 * Statuses that count as paid.
 *
 * @return string[]
 */
function wc_get_is_paid_statuses() {
	return apply_filters( 'woocommerce_order_is_paid_statuses', array( 'processing', 'completed' ) );
}

/**
 * A product.
 *
 * @param int $product_id Id.
 * @return WC_Product|null
 */
function wc_get_product( $product_id = false ) {
	$product_id = absint( $product_id );
	return isset( WC_Stand_In::$products[ $product_id ] ) ? WC_Stand_In::$products[ $product_id ] : null;
}

/**
 * The store's currency.
 *
 * @return string
 */
function get_woocommerce_currency() {
	return apply_filters( 'woocommerce_currency', get_option( 'woocommerce_currency', 'USD' ) );
}

/**
 * Price decimals.
 *
 * @return int
 */
function wc_get_price_decimals() {
	return absint( apply_filters( 'wc_get_price_decimals', get_option( 'woocommerce_price_num_decimals', 2 ) ) );
}

/**
 * A decimal string.
 *
 * @param mixed    $number Number.
 * @param int|bool $dp     Decimals, or false to keep.
 * @return string
 */
function wc_format_decimal( $number, $dp = false ) {
	$number = is_numeric( $number ) ? $number : 0;
	if ( false !== $dp ) {
		return number_format( (float) $number, (int) $dp, '.', '' );
	}
	return (string) ( 0 + $number );
}

/**
 * A price as HTML.
 *
 * @param float $price Price.
 * @param array $args  currency.
 * @return string
 */
function wc_price( $price, $args = array() ) {
	$currency = isset( $args['currency'] ) && $args['currency'] ? $args['currency'] : get_woocommerce_currency();
	return '<span class="woocommerce-Price-amount amount"><bdi>' . esc_html( number_format_i18n( (float) $price, wc_get_price_decimals() ) ) . '&nbsp;<span class="woocommerce-Price-currencySymbol">' . esc_html( $currency ) . '</span></bdi></span>';
}

/**
 * Coupon codes are trimmed and lower-cased.
 *
 * @param string $value Code.
 * @return string
 */
function wc_format_coupon_code( $value ) {
	return apply_filters( 'woocommerce_coupon_code', strtolower( trim( html_entity_decode( (string) $value ) ) ) );
}

/**
 * A stored coupon's id by code.
 *
 * @param string $code Code.
 * @return int
 */
function wc_get_coupon_id_by_code( $code ) {
	$code = wc_format_coupon_code( $code );
	return isset( WC_Stand_In::$coupons[ $code ] ) ? (int) WC_Stand_In::$coupons[ $code ]['id'] : 0;
}

/**
 * Add a notice for the shopper (kept in the session, as WooCommerce does).
 *
 * @param string $message Message (HTML allowed).
 * @param string $type    success|error|notice.
 * @param array  $data    Data.
 */
function wc_add_notice( $message, $type = 'success', $data = array() ) {
	$notices            = (array) WC()->session->get( 'wc_notices', array() );
	$notices[ $type ][] = array(
		'notice' => apply_filters( 'woocommerce_add_' . $type, $message ),
		'data'   => $data,
	);
	WC()->session->set( 'wc_notices', $notices );
}

/**
 * How many notices (of a type).
 *
 * @param string $type Type.
 * @return int
 */
function wc_notice_count( $type = '' ) {
	$notices = (array) WC()->session->get( 'wc_notices', array() );
	if ( '' !== $type ) {
		return isset( $notices[ $type ] ) ? count( $notices[ $type ] ) : 0;
	}
	return array_sum( array_map( 'count', $notices ) );
}

/**
 * Notices (of a type).
 *
 * @param string $type Type.
 * @return array
 */
function wc_get_notices( $type = '' ) {
	$notices = (array) WC()->session->get( 'wc_notices', array() );
	if ( '' !== $type ) {
		return isset( $notices[ $type ] ) ? $notices[ $type ] : array();
	}
	return $notices;
}

/**
 * Clear notices.
 */
function wc_clear_notices() {
	WC()->session->set( 'wc_notices', null );
}

/**
 * Print (or return) and clear notices.
 *
 * @param bool $return Return instead of printing.
 * @return string|void
 */
function wc_print_notices( $return = false ) {
	$html = '';
	foreach ( wc_get_notices() as $type => $notices ) {
		foreach ( $notices as $notice ) {
			$html .= '<div class="woocommerce-' . esc_attr( $type ) . '">' . wp_kses_post( $notice['notice'] ) . '</div>';
		}
	}
	wc_clear_notices();
	if ( $return ) {
		return $html;
	}
	echo $html; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
}

/**
 * The logger.
 *
 * @return WC_Logger
 */
function wc_get_logger() {
	static $logger = null;
	if ( null === $logger ) {
		$logger = new WC_Logger();
	}
	return $logger;
}

/**
 * Whether this is the checkout page (the stand-in has no pages).
 *
 * @return bool
 */
function is_checkout() {
	return (bool) apply_filters( 'woocommerce_is_checkout', false );
}
