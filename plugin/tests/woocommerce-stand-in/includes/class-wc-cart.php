<?php
/**
 * The cart (items, coupons, fees API, totals) and the session.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * As WooCommerce's session: values kept by key (in memory here).
 */
class WC_Session {

	/**
	 * Values.
	 *
	 * @var array
	 */
	protected $_data = array(); // phpcs:ignore PSR2.Classes.PropertyDeclaration.Underscore -- WooCommerce's name.

	/**
	 * A value.
	 *
	 * @param string $key     Key.
	 * @param mixed  $default Default.
	 * @return mixed
	 */
	public function get( $key, $default = null ) {
		$key = sanitize_key( $key );
		return isset( $this->_data[ $key ] ) ? maybe_unserialize( $this->_data[ $key ] ) : $default;
	}

	/**
	 * Set a value.
	 *
	 * @param string $key   Key.
	 * @param mixed  $value Value.
	 */
	public function set( $key, $value ) {
		$this->_data[ sanitize_key( $key ) ] = maybe_serialize( $value );
	}

	/**
	 * Magic get.
	 *
	 * @param string $key Key.
	 * @return mixed
	 */
	public function __get( $key ) {
		return $this->get( $key );
	}

	/**
	 * Magic set.
	 *
	 * @param string $key   Key.
	 * @param mixed  $value Value.
	 */
	public function __set( $key, $value ) {
		$this->set( $key, $value );
	}

	/**
	 * Magic isset.
	 *
	 * @param string $key Key.
	 * @return bool
	 */
	public function __isset( $key ) {
		return isset( $this->_data[ sanitize_key( $key ) ] );
	}

	/**
	 * Magic unset.
	 *
	 * @param string $key Key.
	 */
	public function __unset( $key ) {
		unset( $this->_data[ sanitize_key( $key ) ] );
	}
}

/**
 * As WooCommerce's cart, without taxes: items, coupons (stored or virtual), fees through
 * `woocommerce_cart_calculate_fees`, totals.
 */
class WC_Cart {

	/**
	 * Items: key => [data => WC_Product, product_id, quantity, line_subtotal, line_total].
	 *
	 * @var array
	 */
	public $cart_contents = array();

	/**
	 * Applied coupon codes.
	 *
	 * @var string[]
	 */
	public $applied_coupons = array();

	/**
	 * Fees, by id.
	 *
	 * @var object[]
	 */
	protected $fees = array();

	/**
	 * Totals.
	 *
	 * @var array
	 */
	protected $totals = array(
		'subtotal'            => 0.0,
		'discount_total'      => 0.0,
		'cart_contents_total' => 0.0,
		'shipping_total'      => 0.0,
		'fee_total'           => 0.0,
		'total'               => 0.0,
	);

	/**
	 * Shipping cost for the stand-in (there are no shipping methods).
	 *
	 * @var float
	 */
	public $shipping = 0.0;

	/**
	 * Add a product.
	 *
	 * @param int $product_id Product id.
	 * @param int $quantity   Quantity.
	 * @return string Item key.
	 */
	public function add_to_cart( $product_id, $quantity = 1 ) {
		$product = wc_get_product( $product_id );
		$key     = md5( (string) $product_id );
		$this->cart_contents[ $key ] = array(
			'key'        => $key,
			'data'       => $product,
			'product_id' => $product->get_parent_id() ? $product->get_parent_id() : $product->get_id(),
			'variation_id' => $product->get_parent_id() ? $product->get_id() : 0,
			'quantity'   => (int) $quantity,
		);
		$this->calculate_totals();
		return $key;
	}

	/**
	 * Items.
	 *
	 * @return array
	 */
	public function get_cart() {
		return $this->cart_contents;
	}

	/**
	 * Whether the cart is empty.
	 *
	 * @return bool
	 */
	public function is_empty() {
		return ! $this->cart_contents;
	}

	/**
	 * Empty the cart.
	 */
	public function empty_cart() {
		$this->cart_contents   = array();
		$this->applied_coupons = array();
		$this->fees            = array();
		$this->calculate_totals();
	}

	/**
	 * Apply a coupon code, as WooCommerce does: a code that is neither stored nor virtual is refused
	 * with error 105 through `woocommerce_coupon_error`.
	 *
	 * @param string $coupon_code Code.
	 * @return bool
	 */
	public function apply_coupon( $coupon_code ) {
		$coupon_code = wc_format_coupon_code( $coupon_code );
		$the_coupon  = new WC_Coupon( $coupon_code );
		if ( ! $the_coupon->get_id() && ! $the_coupon->get_virtual() ) {
			/* translators: %s: coupon code */
			$message = sprintf( __( 'Coupon "%s" cannot be applied because it does not exist.', 'woocommerce' ), esc_html( $coupon_code ) );
			wc_add_notice( apply_filters( 'woocommerce_coupon_error', $message, WC_Coupon::E_WC_COUPON_NOT_EXIST, $the_coupon ), 'error' );
			return false;
		}
		if ( in_array( $coupon_code, $this->applied_coupons, true ) ) {
			return false;
		}
		$this->applied_coupons[] = $coupon_code;
		$this->calculate_totals();
		wc_add_notice( __( 'Coupon code applied successfully.', 'woocommerce' ) );
		do_action( 'woocommerce_applied_coupon', $coupon_code );
		return true;
	}

	/**
	 * Applied codes.
	 *
	 * @return string[]
	 */
	public function get_applied_coupons() {
		return $this->applied_coupons;
	}

	/**
	 * Applied coupons.
	 *
	 * @return WC_Coupon[]
	 */
	public function get_coupons() {
		$coupons = array();
		foreach ( $this->applied_coupons as $code ) {
			$coupons[ $code ] = new WC_Coupon( $code );
		}
		return $coupons;
	}

	/**
	 * A fee, as WC_Cart::add_fee() → WC_Cart_Fees::add_fee(): the id is the sanitized name.
	 *
	 * @param string $name      Name.
	 * @param float  $amount    Amount (negative for a discount).
	 * @param bool   $taxable   Taxable.
	 * @param string $tax_class Tax class.
	 * @return object|WP_Error
	 */
	public function add_fee( $name, $amount, $taxable = false, $tax_class = '' ) {
		$id = sanitize_title( $name );
		if ( isset( $this->fees[ $id ] ) ) {
			return new WP_Error( 'fee_exists', __( 'Fee has already been added.', 'woocommerce' ) );
		}
		$this->fees[ $id ] = (object) array(
			'id'        => $id,
			'name'      => $name,
			'amount'    => (float) $amount,
			'total'     => (float) $amount,
			'taxable'   => (bool) $taxable,
			'tax_class' => $tax_class,
			'tax'       => 0,
			'tax_data'  => array(),
		);
		return $this->fees[ $id ];
	}

	/**
	 * Fees.
	 *
	 * @return object[]
	 */
	public function get_fees() {
		return $this->fees;
	}

	/**
	 * Recalculate: items, coupons, shipping, then fees (`woocommerce_cart_calculate_fees`), then the
	 * total, in WooCommerce's order. Negative fees never take the total below zero.
	 */
	public function calculate_totals() {
		do_action( 'woocommerce_before_calculate_totals', $this );
		$subtotal = 0.0;
		foreach ( $this->cart_contents as $key => $item ) {
			$line = (float) $item['data']->get_price() * $item['quantity'];
			$this->cart_contents[ $key ]['line_subtotal'] = $line;
			$subtotal                                    += $line;
		}
		$discount = 0.0;
		foreach ( $this->get_coupons() as $coupon ) {
			if ( ! $coupon->get_id() && ! $coupon->get_virtual() ) {
				continue;
			}
			$left = $subtotal - $discount;
			if ( $coupon->is_type( 'percent' ) ) {
				$discount += min( $left, $subtotal * (float) $coupon->get_amount() / 100 );
			} else {
				$discount += min( $left, (float) $coupon->get_amount() );
			}
		}
		foreach ( $this->cart_contents as $key => $item ) {
			$share = $subtotal > 0 ? $item['line_subtotal'] / $subtotal : 0;
			$this->cart_contents[ $key ]['line_total'] = $item['line_subtotal'] - $discount * $share;
		}
		$this->totals['subtotal']            = $subtotal;
		$this->totals['discount_total']      = $discount;
		$this->totals['cart_contents_total'] = $subtotal - $discount;
		$this->totals['shipping_total']      = (float) $this->shipping;

		$this->fees = array();
		do_action( 'woocommerce_cart_calculate_fees', $this );
		$before_fees = $this->totals['cart_contents_total'] + $this->totals['shipping_total'];
		$fee_total   = 0.0;
		foreach ( $this->fees as $fee ) {
			if ( $fee->total < 0 ) {
				$fee->total = max( $fee->total, -1 * ( $before_fees + $fee_total ) );
			}
			$fee_total += $fee->total;
		}
		$this->totals['fee_total'] = $fee_total;
		$this->totals['total']     = max( 0, $before_fees + $fee_total );
		do_action( 'woocommerce_after_calculate_totals', $this );
	}

	// phpcs:disable Squiz.Commenting.FunctionComment.Missing -- plain getters, named as in WooCommerce.
	public function get_subtotal() {
		return $this->totals['subtotal']; }
	public function get_subtotal_tax() {
		return 0; }
	public function get_discount_total() {
		return $this->totals['discount_total']; }
	public function get_cart_contents_total() {
		return $this->totals['cart_contents_total']; }
	public function get_cart_contents_tax() {
		return 0; }
	public function get_shipping_total() {
		return $this->totals['shipping_total']; }
	public function get_shipping_tax() {
		return 0; }
	public function get_fee_total() {
		return $this->totals['fee_total']; }
	public function get_total( $context = 'view' ) {
		return 'edit' === $context ? $this->totals['total'] : wc_price( $this->totals['total'] ); }
	// phpcs:enable
}
