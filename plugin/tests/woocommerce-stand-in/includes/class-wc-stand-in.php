<?php
/**
 * The stand-in's storage, in memory, plus a reset for tests.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * In-memory "database" for orders, products and coupons.
 */
final class WC_Stand_In {

	/**
	 * Stored orders and refunds: id => [class, data, meta, items].
	 *
	 * @var array
	 */
	public static $orders = array();

	/**
	 * Products by id.
	 *
	 * @var WC_Product[]
	 */
	public static $products = array();

	/**
	 * The store's own coupons: code => [id, discount_type, amount].
	 *
	 * @var array
	 */
	public static $coupons = array();

	/**
	 * Order notes: order id => [notes].
	 *
	 * @var array
	 */
	public static $notes = array();

	/**
	 * Next object id (orders, refunds, products share one sequence, like posts).
	 *
	 * @var int
	 */
	public static $next_id = 1000;

	/**
	 * Next order item id.
	 *
	 * @var int
	 */
	public static $next_item_id = 1;

	/**
	 * A new object id.
	 *
	 * @return int
	 */
	public static function next_id() {
		return self::$next_id++;
	}

	/**
	 * Forget everything (between tests).
	 */
	public static function reset() {
		self::$orders   = array();
		self::$products = array();
		self::$coupons  = array();
		self::$notes    = array();
		WC_Logger::$entries = array();
		ActionScheduler_StandIn::$actions = array();
		WC()->session = new WC_Session();
		WC()->cart    = new WC_Cart();
		WC()->payment_gateways = array();
	}

	/**
	 * Add one of the store's own coupons.
	 *
	 * @param string $code          Code.
	 * @param string $discount_type fixed_cart|percent.
	 * @param string $amount        Amount.
	 * @return int Id.
	 */
	public static function add_coupon( $code, $discount_type, $amount ) {
		$id = self::next_id();
		self::$coupons[ wc_format_coupon_code( $code ) ] = array(
			'id'            => $id,
			'discount_type' => $discount_type,
			'amount'        => $amount,
		);
		return $id;
	}
}
