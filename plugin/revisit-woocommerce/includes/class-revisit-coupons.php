<?php
/**
 * Revisit coupon codes at checkout, without copying them into the store.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * A code the store does not know is asked of Revisit (`coupons/validate`, short timeout) with the
 * shopper, the cart's total, lines (product, categories, line total) and shipping. A valid code becomes
 * a virtual WooCommerce coupon (`woocommerce_get_shop_coupon_data`) taking off exactly the discount
 * Revisit computed for this cart (its maximum and product limits applied), with free shipping when the
 * code gives it; a refused code says why, in the shopper's language. When Revisit cannot be reached the
 * code is refused with a message that says so; checkout goes on without it.
 */
class Revisit_Coupons {

	const SESSION_CACHE = 'revisit_coupon_checks';

	/**
	 * WooCommerce's "coupon does not exist" error code (WC_Coupon::E_WC_COUPON_NOT_EXIST).
	 */
	const E_NOT_EXIST = 105;

	/**
	 * API client.
	 *
	 * @var Revisit_Api
	 */
	private $api;

	/**
	 * Answers in this request, by code: state (valid|invalid|unreachable), data, reason, message.
	 *
	 * @var array
	 */
	private $checks = array();

	/**
	 * Constructor.
	 *
	 * @param Revisit_Api $api API client.
	 */
	public function __construct( Revisit_Api $api ) {
		$this->api = $api;
	}

	/**
	 * Attach the hooks.
	 */
	public function register() {
		add_filter( 'woocommerce_get_shop_coupon_data', array( $this, 'coupon_data' ), 20, 3 );
		add_filter( 'woocommerce_coupon_error', array( $this, 'coupon_error' ), 20, 3 );
	}

	/**
	 * Whether to ask Revisit in this request: storefront, AJAX and REST (Store API) requests, not
	 * the order screens of wp-admin.
	 *
	 * @return bool
	 */
	private function should_resolve() {
		$storefront = ! is_admin() || wp_doing_ajax() || ( defined( 'REST_REQUEST' ) && REST_REQUEST );
		/**
		 * Filters whether unknown coupon codes are looked up in Revisit in this request.
		 *
		 * @param bool $resolve Default: on the storefront, AJAX and REST requests, with a key set.
		 */
		return (bool) apply_filters( 'revisit_resolve_coupons', $storefront && '' !== Revisit_Settings::access_key() );
	}

	/**
	 * `woocommerce_get_shop_coupon_data`: describe a Revisit code as a virtual coupon.
	 *
	 * @param mixed     $data   False, or data another plugin supplied.
	 * @param mixed     $code   The code (WooCommerce lower-cases it), or a coupon id.
	 * @param WC_Coupon $coupon The coupon being read.
	 * @return mixed
	 */
	public function coupon_data( $data, $code, $coupon = null ) {
		if ( false !== $data && null !== $data ) {
			return $data; // Another plugin answered.
		}
		if ( ! is_string( $code ) || '' === trim( $code ) || ! $this->should_resolve() ) {
			return $data;
		}
		if ( wc_get_coupon_id_by_code( $code ) ) {
			return $data; // The store's own coupon.
		}
		$check = $this->check( trim( $code ) );
		return 'valid' === $check['state'] ? $check['data'] : $data;
	}

	/**
	 * Ask Revisit about a code (cached for the request, and briefly in the session).
	 *
	 * @param string $code Code.
	 * @return array state, data, reason, message.
	 */
	public function check( $code ) {
		$cart     = function_exists( 'WC' ) && WC() ? WC()->cart : null;
		$total    = $cart ? Revisit_Util::amount( (float) $cart->get_subtotal() + (float) $cart->get_subtotal_tax() ) : Revisit_Util::amount( 0 );
		$currency = strtoupper( (string) get_woocommerce_currency() );
		$identity = Revisit_Credit::shopper_identity( true );
		$lines    = $cart ? $this->cart_lines( $cart ) : array();
		$shipping = $cart ? Revisit_Util::amount( (float) $cart->get_shipping_total() + (float) $cart->get_shipping_tax() ) : Revisit_Util::amount( 0 );
		// Shipping is left out: it changes what a free-shipping code saves, never whether it applies.
		$key      = md5( (string) Revisit_Util::json( array( $code, $total, $currency, $identity, $lines ) ) );
		if ( isset( $this->checks[ $code ] ) && $this->checks[ $code ]['key'] === $key ) {
			return $this->checks[ $code ];
		}
		$session = ( $cart && WC()->session ) ? WC()->session : null;
		$cache   = $session ? $session->get( self::SESSION_CACHE ) : null;
		$cache   = is_array( $cache ) ? $cache : array();
		if ( isset( $cache[ $code ] ) && $cache[ $code ]['key'] === $key && $cache[ $code ]['until'] > time() ) {
			$this->checks[ $code ] = $cache[ $code ];
			return $cache[ $code ];
		}

		$response = $this->api->request(
			'POST',
			'/rest/v1/coupons/validate',
			array(
				'code'           => (string) $code,
				'customer'       => (object) $identity,
				'cart_total'     => $total,
				'currency'       => $currency,
				'lines'          => $lines,
				'shipping_total' => $shipping,
			),
			Revisit_Api::checkout_timeout()
		);
		$check    = array(
			'key'     => $key,
			'state'   => 'unreachable',
			'data'    => null,
			'reason'  => '',
			'message' => '',
		);
		if ( $response->ok() && is_array( $response->body ) && isset( $response->body['valid'] ) ) {
			$body             = $response->body;
			$check['reason']  = isset( $body['reason'] ) ? sanitize_key( (string) $body['reason'] ) : '';
			$check['message'] = isset( $body['message'] ) ? sanitize_text_field( (string) $body['message'] ) : '';
			$check['state']   = 'invalid';
			$data             = ! empty( $body['valid'] ) ? $this->coupon_props( $body ) : null;
			if ( $data ) {
				$check['state'] = 'valid';
				$check['data']  = $data;
			}
		} else {
			Revisit_Util::log( 'notice', 'Coupon check unavailable: ' . $response->describe() );
		}
		/**
		 * Filters how long, in seconds, a coupon answer is reused in the shopper's session.
		 *
		 * @param int $seconds Default 120; "unreachable" is remembered for 30 seconds at most.
		 */
		$ttl            = max( 0, (int) apply_filters( 'revisit_coupon_cache_ttl', 2 * MINUTE_IN_SECONDS ) );
		$check['until'] = time() + ( 'unreachable' === $check['state'] ? min( 30, $ttl ) : $ttl );

		$this->checks[ $code ] = $check;
		if ( $session && $ttl > 0 ) {
			$cache[ $code ] = $check;
			$session->set( self::SESSION_CACHE, array_slice( $cache, -20, null, true ) );
		}
		return $check;
	}

	/**
	 * The cart's lines as Revisit reads them (the same product and category ids as order events): at
	 * most 500, each with its total before coupons.
	 *
	 * @param WC_Cart $cart Cart.
	 * @return array
	 */
	private function cart_lines( $cart ) {
		$lines = array();
		foreach ( (array) $cart->get_cart() as $item ) {
			$product_id = isset( $item['product_id'] ) ? (int) $item['product_id'] : 0;
			if ( $product_id <= 0 ) {
				continue;
			}
			$parent  = wc_get_product( $product_id );
			$lines[] = array(
				'product_id'   => (string) $product_id,
				'total'        => Revisit_Util::amount( (float) ( $item['line_subtotal'] ?? 0 ) + (float) ( $item['line_subtotal_tax'] ?? 0 ) ),
				'category_ids' => $parent ? array_slice( array_values( array_map( 'strval', (array) $parent->get_category_ids() ) ), 0, 50 ) : array(),
			);
			if ( count( $lines ) >= 500 ) {
				break;
			}
		}
		return $lines;
	}

	/**
	 * Coupon properties from a "valid" answer, or null when the answer is unusable.
	 *
	 * An answer with `discount` (what the code takes off this cart) becomes a fixed cart discount of
	 * exactly that, so the maximum and the product limits Revisit applied hold here too. A free-shipping
	 * code takes nothing off the items: `free_shipping` lets the store's "Free shipping" method (set to
	 * accept coupons) apply. An answer without it is taken as
	 * `discount_type` and `amount`.
	 *
	 * @param array $body Revisit's answer.
	 * @return array|null
	 */
	private function coupon_props( array $body ) {
		$type     = isset( $body['discount_type'] ) ? (string) $body['discount_type'] : '';
		$amount   = isset( $body['amount'] ) ? Revisit_Util::to_float( $body['amount'] ) : -1.0;
		$discount = isset( $body['discount'] ) ? Revisit_Util::to_float( $body['discount'] ) : null;
		if ( ! in_array( $type, array( 'fixed_cart', 'percent' ), true ) || $amount < 0 || ( 'percent' === $type && $amount > 100 ) ) {
			return null;
		}
		if ( null !== $discount && $discount < 0 ) {
			return null;
		}
		$free_shipping = ! empty( $body['free_shipping'] );
		if ( $free_shipping ) {
			$discount = 0.0; // WooCommerce's free-shipping method takes the shipping off, not the items.
		}
		$props = array(
			'discount_type'        => null === $discount ? $type : 'fixed_cart',
			'amount'               => (string) ( null === $discount ? $amount : $discount ),
			'free_shipping'        => $free_shipping,
			'individual_use'       => false,
			'usage_limit'          => 0,
			'usage_limit_per_user' => 0,
			'description'          => isset( $body['message'] ) ? sanitize_text_field( (string) $body['message'] ) : '',
		);
		/**
		 * Filters the virtual coupon made for a valid Revisit code (see WC_Coupon's properties).
		 *
		 * @param array $props Coupon properties.
		 * @param array $body  Revisit's answer.
		 */
		return apply_filters( 'revisit_coupon_props', $props, $body );
	}

	/**
	 * `woocommerce_coupon_error`: say why a Revisit code was refused.
	 *
	 * @param string         $message WooCommerce's message.
	 * @param int            $code    WooCommerce's error code.
	 * @param WC_Coupon|null $coupon  Coupon.
	 * @return string
	 */
	public function coupon_error( $message, $code, $coupon = null ) {
		if ( self::E_NOT_EXIST !== (int) $code || ! is_object( $coupon ) || ! is_callable( array( $coupon, 'get_code' ) ) ) {
			return $message;
		}
		$typed = (string) $coupon->get_code();
		if ( ! isset( $this->checks[ $typed ] ) ) {
			return $message;
		}
		$check = $this->checks[ $typed ];
		if ( 'unreachable' === $check['state'] ) {
			return sprintf(
				/* translators: %s: the coupon code */
				esc_html__( 'We could not check the code "%s" right now. Please try again in a moment, or complete your order without it.', 'revisit-woocommerce' ),
				esc_html( $typed )
			);
		}
		if ( 'invalid' !== $check['state'] ) {
			return $message;
		}
		switch ( $check['reason'] ) {
			case 'expired':
				return esc_html__( 'This code has expired.', 'revisit-woocommerce' );
			case 'not_yet_valid':
				return esc_html__( 'This code is not valid yet.', 'revisit-woocommerce' );
			case 'revoked':
				return esc_html__( 'This code has been withdrawn.', 'revisit-woocommerce' );
			case 'used':
			case 'already_used':
			case 'usage_limit_reached':
			case 'used_up':
				return esc_html__( 'This code has already been used.', 'revisit-woocommerce' );
			case 'used_up_for_customer':
				return esc_html__( 'You have already used this code.', 'revisit-woocommerce' );
			case 'not_eligible':
			case 'wrong_customer':
			case 'not_your_code':
				return esc_html__( 'This code is not valid for your account.', 'revisit-woocommerce' );
			case 'first_order_only':
				return esc_html__( 'This code is for a first order only.', 'revisit-woocommerce' );
			case 'minimum_not_met':
			case 'below_minimum':
				return esc_html__( 'Your cart does not meet the minimum for this code.', 'revisit-woocommerce' );
			case 'no_eligible_products':
				return esc_html__( 'This code does not apply to the products in your cart.', 'revisit-woocommerce' );
			case 'unknown_code':
			case '':
				return $message;
			default:
				return '' !== $check['message'] ? esc_html( $check['message'] ) : $message;
		}
	}
}
