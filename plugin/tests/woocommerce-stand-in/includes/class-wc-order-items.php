<?php
/**
 * Order items: products, fees, coupons.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Base item.
 */
class WC_Order_Item extends WC_Data {

	/**
	 * Hook prefix.
	 *
	 * @var string
	 */
	protected $object_type = 'order_item';

	/**
	 * Constructor.
	 */
	public function __construct() {
		$this->data        = array_merge(
			array(
				'order_id' => 0,
				'name'     => '',
			),
			$this->extra_data()
		);
		$this->object_read = true;
	}

	/**
	 * Props of the item type.
	 *
	 * @return array
	 */
	protected function extra_data() {
		return array();
	}

	/**
	 * Item type.
	 *
	 * @return string
	 */
	public function get_type() {
		return '';
	}

	/**
	 * Name.
	 *
	 * @param string $context Context.
	 * @return string
	 */
	public function get_name( $context = 'view' ) {
		return (string) $this->get_prop( 'name', $context );
	}

	/**
	 * Set name.
	 *
	 * @param string $value Name.
	 */
	public function set_name( $value ) {
		$this->set_prop( 'name', (string) $value );
	}

	/**
	 * Order id.
	 *
	 * @return int
	 */
	public function get_order_id() {
		return (int) $this->get_prop( 'order_id', 'edit' );
	}

	/**
	 * Set order id.
	 *
	 * @param int $value Id.
	 */
	public function set_order_id( $value ) {
		$this->set_prop( 'order_id', absint( $value ) );
	}

	/**
	 * Make changes permanent (the order saves its items).
	 */
	public function save_in_order() {
		$this->apply_changes();
		$this->meta_changed = false;
	}
}

/**
 * A product line.
 */
class WC_Order_Item_Product extends WC_Order_Item {

	/**
	 * Props.
	 *
	 * @return array
	 */
	protected function extra_data() {
		return array(
			'product_id'   => 0,
			'variation_id' => 0,
			'quantity'     => 1,
			'subtotal'     => '0',
			'total'        => '0',
		);
	}

	/**
	 * Type.
	 *
	 * @return string
	 */
	public function get_type() {
		return 'line_item';
	}

	/**
	 * Product id (the parent for variations).
	 *
	 * @return int
	 */
	public function get_product_id() {
		return (int) $this->get_prop( 'product_id', 'edit' );
	}

	/**
	 * Set product id.
	 *
	 * @param int $value Id.
	 */
	public function set_product_id( $value ) {
		$this->set_prop( 'product_id', absint( $value ) );
	}

	/**
	 * Variation id.
	 *
	 * @return int
	 */
	public function get_variation_id() {
		return (int) $this->get_prop( 'variation_id', 'edit' );
	}

	/**
	 * Set variation id.
	 *
	 * @param int $value Id.
	 */
	public function set_variation_id( $value ) {
		$this->set_prop( 'variation_id', absint( $value ) );
	}

	/**
	 * Quantity.
	 *
	 * @return int
	 */
	public function get_quantity() {
		return (int) $this->get_prop( 'quantity', 'edit' );
	}

	/**
	 * Set quantity.
	 *
	 * @param int $value Quantity.
	 */
	public function set_quantity( $value ) {
		$this->set_prop( 'quantity', (int) $value );
	}

	/**
	 * Line subtotal (before discounts).
	 *
	 * @return string
	 */
	public function get_subtotal() {
		return (string) $this->get_prop( 'subtotal', 'edit' );
	}

	/**
	 * Set subtotal.
	 *
	 * @param mixed $value Amount.
	 */
	public function set_subtotal( $value ) {
		$this->set_prop( 'subtotal', wc_format_decimal( $value ) );
	}

	/**
	 * Line total (after discounts).
	 *
	 * @return string
	 */
	public function get_total() {
		return (string) $this->get_prop( 'total', 'edit' );
	}

	/**
	 * Set total.
	 *
	 * @param mixed $value Amount.
	 */
	public function set_total( $value ) {
		$this->set_prop( 'total', wc_format_decimal( $value ) );
	}

	/**
	 * The product (the variation when there is one).
	 *
	 * @return WC_Product|false
	 */
	public function get_product() {
		$id = $this->get_variation_id() ? $this->get_variation_id() : $this->get_product_id();
		return wc_get_product( $id );
	}
}

/**
 * A fee line (negative for discounts such as store credit).
 */
class WC_Order_Item_Fee extends WC_Order_Item {

	/**
	 * Props.
	 *
	 * @return array
	 */
	protected function extra_data() {
		return array(
			'amount'    => '0',
			'total'     => '0',
			'total_tax' => '0',
			'tax_class' => '',
		);
	}

	/**
	 * Type.
	 *
	 * @return string
	 */
	public function get_type() {
		return 'fee';
	}

	/**
	 * Amount.
	 *
	 * @return string
	 */
	public function get_amount() {
		return (string) $this->get_prop( 'amount', 'edit' );
	}

	/**
	 * Set amount.
	 *
	 * @param mixed $value Amount.
	 */
	public function set_amount( $value ) {
		$this->set_prop( 'amount', wc_format_decimal( $value ) );
	}

	/**
	 * Total.
	 *
	 * @return string
	 */
	public function get_total() {
		return (string) $this->get_prop( 'total', 'edit' );
	}

	/**
	 * Set total.
	 *
	 * @param mixed $value Amount.
	 */
	public function set_total( $value ) {
		$this->set_prop( 'total', wc_format_decimal( $value ) );
	}

	/**
	 * Set total tax.
	 *
	 * @param mixed $value Amount.
	 */
	public function set_total_tax( $value ) {
		$this->set_prop( 'total_tax', wc_format_decimal( $value ) );
	}

	/**
	 * Set tax class.
	 *
	 * @param string $value Class.
	 */
	public function set_tax_class( $value ) {
		$this->set_prop( 'tax_class', (string) $value );
	}
}

/**
 * A coupon line.
 */
class WC_Order_Item_Coupon extends WC_Order_Item {

	/**
	 * Props.
	 *
	 * @return array
	 */
	protected function extra_data() {
		return array(
			'code'     => '',
			'discount' => '0',
		);
	}

	/**
	 * Type.
	 *
	 * @return string
	 */
	public function get_type() {
		return 'coupon';
	}

	/**
	 * Code.
	 *
	 * @return string
	 */
	public function get_code() {
		return (string) $this->get_prop( 'code', 'edit' );
	}

	/**
	 * Set code.
	 *
	 * @param string $value Code.
	 */
	public function set_code( $value ) {
		$this->set_prop( 'code', wc_format_coupon_code( $value ) );
		$this->set_name( wc_format_coupon_code( $value ) );
	}

	/**
	 * Set discount.
	 *
	 * @param mixed $value Amount.
	 */
	public function set_discount( $value ) {
		$this->set_prop( 'discount', wc_format_decimal( $value ) );
	}

	/**
	 * Discount.
	 *
	 * @return string
	 */
	public function get_discount() {
		return (string) $this->get_prop( 'discount', 'edit' );
	}
}
