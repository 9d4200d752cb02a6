<?php
/**
 * Products: just what order lines need.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * A product (simple or variation).
 */
class WC_Product {

	/**
	 * Props.
	 *
	 * @var array
	 */
	protected $props;

	/**
	 * Create and store a product.
	 *
	 * @param array $props name, sku, price, category_ids, parent_id, type.
	 * @return WC_Product
	 */
	public static function create( array $props ) {
		$product                                         = new self(
			array_merge(
				array(
					'id'           => WC_Stand_In::next_id(),
					'name'         => 'Product',
					'sku'          => '',
					'price'        => '0',
					'category_ids' => array(),
					'parent_id'    => 0,
					'type'         => 'simple',
				),
				$props
			)
		);
		WC_Stand_In::$products[ $product->get_id() ] = $product;
		return $product;
	}

	/**
	 * Constructor.
	 *
	 * @param array $props Props.
	 */
	public function __construct( array $props ) {
		$this->props = $props;
	}

	// phpcs:disable Squiz.Commenting.FunctionComment.Missing -- plain getters, named as in WooCommerce.
	public function get_id() {
		return (int) $this->props['id']; }
	public function get_name() {
		return (string) $this->props['name']; }
	public function get_sku() {
		return (string) $this->props['sku']; }
	public function get_price() {
		return (string) $this->props['price']; }
	public function get_category_ids() {
		return array_map( 'intval', (array) $this->props['category_ids'] ); }
	public function get_parent_id() {
		return (int) $this->props['parent_id']; }
	public function is_type( $type ) {
		return in_array( $this->props['type'], (array) $type, true ); }
	// phpcs:enable
}
