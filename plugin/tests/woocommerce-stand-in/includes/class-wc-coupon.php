<?php
/**
 * Coupons, including virtual ones from woocommerce_get_shop_coupon_data.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * As WooCommerce's WC_Coupon: the constructor first asks `woocommerce_get_shop_coupon_data`, and
 * only then looks for a stored coupon with that code.
 */
class WC_Coupon extends WC_Data {

	const E_WC_COUPON_NOT_EXIST = 105;

	/**
	 * Hook prefix.
	 *
	 * @var string
	 */
	protected $object_type = 'coupon';

	/**
	 * Constructor.
	 *
	 * @param mixed $data Code or id.
	 */
	public function __construct( $data = '' ) {
		$this->data = array(
			'code'                 => '',
			'amount'               => '0',
			'discount_type'        => 'fixed_cart',
			'individual_use'       => false,
			'usage_limit'          => 0,
			'usage_limit_per_user' => 0,
			'description'          => '',
			'virtual'              => false,
		);
		$coupon     = apply_filters( 'woocommerce_get_shop_coupon_data', false, $data, $this );
		if ( $coupon ) {
			$this->read_manual_coupon( $data, $coupon );
			return;
		}
		if ( is_string( $data ) && '' !== trim( $data ) ) {
			$code = wc_format_coupon_code( $data );
			$this->set_prop( 'code', $code );
			if ( isset( WC_Stand_In::$coupons[ $code ] ) ) {
				$stored = WC_Stand_In::$coupons[ $code ];
				$this->set_id( $stored['id'] );
				$this->set_prop( 'discount_type', $stored['discount_type'] );
				$this->set_prop( 'amount', $stored['amount'] );
			}
		}
		$this->object_read = true;
	}

	/**
	 * A coupon made from data (virtual).
	 *
	 * @param string $code   Code.
	 * @param array  $coupon Props.
	 */
	public function read_manual_coupon( $code, $coupon ) {
		$this->set_prop( 'code', wc_format_coupon_code( $code ) );
		foreach ( (array) $coupon as $key => $value ) {
			if ( array_key_exists( $key, $this->data ) && 'code' !== $key ) {
				$this->set_prop( $key, $value );
			}
		}
		$this->set_prop( 'virtual', true );
		$this->object_read = true;
	}

	// phpcs:disable Squiz.Commenting.FunctionComment.Missing -- plain getters, named as in WooCommerce.
	public function get_code( $context = 'view' ) {
		return (string) $this->get_prop( 'code', $context ); }
	public function get_amount( $context = 'view' ) {
		return wc_format_decimal( $this->get_prop( 'amount', $context ) ); }
	public function get_discount_type( $context = 'view' ) {
		return (string) $this->get_prop( 'discount_type', $context ); }
	public function get_virtual( $context = 'view' ) {
		return (bool) $this->get_prop( 'virtual', $context ); }
	public function get_description( $context = 'view' ) {
		return (string) $this->get_prop( 'description', $context ); }
	public function is_type( $type ) {
		return in_array( $this->get_discount_type(), (array) $type, true ); }
	// phpcs:enable
}
