<?php
/**
 * The classic checkout, with WooCommerce's hooks in WooCommerce's order.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * WC_Checkout, reduced to the order of events the plugin relies on:
 * woocommerce_checkout_process → totals → create_order (line items, fee items with
 * woocommerce_checkout_create_order_fee_item, coupon items, woocommerce_checkout_create_order, save)
 * → woocommerce_checkout_order_processed → payment (woocommerce_payment_successful_result) — all in
 * a try block whose exceptions become error notices. A pending order in `order_awaiting_payment` is
 * resumed, as WooCommerce does.
 */
class WC_Checkout {

	/**
	 * Instance.
	 *
	 * @var WC_Checkout|null
	 */
	private static $instance = null;

	/**
	 * Instance.
	 *
	 * @return WC_Checkout
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * The AJAX checkout refresh (WC_AJAX::update_order_review), after its nonce check.
	 *
	 * @param string $post_data The form, URL-encoded.
	 */
	public function update_order_review( $post_data ) {
		do_action( 'woocommerce_checkout_update_order_review', $post_data );
		WC()->cart->calculate_totals();
	}

	/**
	 * Place the order. The nonce check is WooCommerce's and is taken as passed.
	 *
	 * @param array $posted Form fields (billing_*, payment_method, plugin fields).
	 * @return array result success|failure, redirect or messages.
	 */
	public function process_checkout( array $posted ) {
		$result = null;
		$_POST  = $posted; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- the stand-in is the form.
		try {
			if ( WC()->cart->is_empty() ) {
				throw new Exception( __( 'Sorry, your session has expired.', 'woocommerce' ) );
			}
			do_action( 'woocommerce_checkout_process' );
			WC()->cart->calculate_totals();
			if ( 0 === wc_notice_count( 'error' ) ) {
				$order_id = $this->create_order( $posted );
				if ( is_wp_error( $order_id ) ) {
					throw new Exception( $order_id->get_error_message() );
				}
				$order = wc_get_order( $order_id );
				do_action( 'woocommerce_checkout_order_processed', $order_id, $posted, $order );
				$order = wc_get_order( $order_id );
				if ( $order->needs_payment() ) {
					$result = $this->process_order_payment( $order_id, isset( $posted['payment_method'] ) ? $posted['payment_method'] : '' );
				} else {
					$order->payment_complete();
					WC()->cart->empty_cart();
					$result = array(
						'result'   => 'success',
						'redirect' => apply_filters( 'woocommerce_checkout_no_payment_needed_redirect', home_url( '/order-received/' . $order_id ), $order ),
					);
				}
			}
		} catch ( Exception $e ) {
			wc_add_notice( $e->getMessage(), 'error' );
		}
		$_POST = array();
		if ( null === $result ) {
			$result = array(
				'result'   => 'failure',
				'messages' => wc_print_notices( true ),
				'refresh'  => isset( WC()->session->refresh_totals ),
			);
			unset( WC()->session->refresh_totals );
		}
		return $result;
	}

	/**
	 * Create (or resume) the order from the cart.
	 *
	 * @param array $data Posted data.
	 * @return int|WP_Error
	 */
	public function create_order( $data ) {
		$order = null;
		try {
			$order_id = absint( WC()->session->get( 'order_awaiting_payment' ) );
			$order    = $order_id ? wc_get_order( $order_id ) : null;
			if ( $order && $order->has_status( array( 'pending', 'failed' ) ) ) {
				do_action( 'woocommerce_resume_order', $order_id );
				$order->remove_order_items();
			} else {
				$order = new WC_Order();
			}
			foreach ( $data as $key => $value ) {
				if ( 0 === strpos( $key, 'billing_' ) && is_callable( array( $order, "set_{$key}" ) ) ) {
					$order->{"set_{$key}"}( $value );
				}
			}
			$cart = WC()->cart;
			$order->set_customer_id( get_current_user_id() );
			$order->set_currency( get_woocommerce_currency() );
			$order->set_payment_method( isset( $data['payment_method'] ) ? $data['payment_method'] : '' );
			$order->set_shipping_total( $cart->get_shipping_total() );
			$order->set_discount_total( $cart->get_discount_total() );
			$order->set_total( $cart->get_total( 'edit' ) );
			foreach ( $cart->get_cart() as $key => $values ) {
				$item = new WC_Order_Item_Product();
				$item->set_props(
					array(
						'name'         => $values['data']->get_name(),
						'product_id'   => $values['product_id'],
						'variation_id' => $values['variation_id'],
						'quantity'     => $values['quantity'],
						'subtotal'     => $values['line_subtotal'],
						'total'        => $values['line_total'],
					)
				);
				do_action( 'woocommerce_checkout_create_order_line_item', $item, $key, $values, $order );
				$order->add_item( $item );
			}
			foreach ( $cart->get_fees() as $fee_key => $fee ) {
				$item = new WC_Order_Item_Fee();
				$item->set_props(
					array(
						'name'      => $fee->name,
						'amount'    => $fee->amount,
						'total'     => $fee->total,
						'total_tax' => $fee->tax,
					)
				);
				do_action( 'woocommerce_checkout_create_order_fee_item', $item, $fee_key, $fee, $order );
				$order->add_item( $item );
			}
			foreach ( $cart->get_coupons() as $code => $coupon ) {
				$item = new WC_Order_Item_Coupon();
				$item->set_code( $code );
				do_action( 'woocommerce_checkout_create_order_coupon_item', $item, $code, $coupon, $order );
				$order->add_item( $item );
			}
			do_action( 'woocommerce_checkout_create_order', $order, $data );
			$order_id = $order->save();
			do_action( 'woocommerce_checkout_update_order_meta', $order_id, $data );
			do_action( 'woocommerce_checkout_order_created', $order );
			return $order_id;
		} catch ( Exception $e ) {
			if ( $order instanceof WC_Order ) {
				do_action( 'woocommerce_checkout_order_exception', $order );
			}
			return new WP_Error( 'checkout-error', $e->getMessage() );
		}
	}

	/**
	 * Pay with a stand-in gateway (a callable in WC()->payment_gateways).
	 *
	 * @param int    $order_id       Order id.
	 * @param string $payment_method Gateway id.
	 * @return array|null Result on success.
	 */
	protected function process_order_payment( $order_id, $payment_method ) {
		$gateways = WC()->payment_gateways;
		if ( ! isset( $gateways[ $payment_method ] ) ) {
			wc_add_notice( __( 'Invalid payment method.', 'woocommerce' ), 'error' );
			return null;
		}
		WC()->session->set( 'order_awaiting_payment', $order_id );
		$result = call_user_func( $gateways[ $payment_method ], wc_get_order( $order_id ) );
		if ( isset( $result['result'] ) && 'success' === $result['result'] ) {
			$result['order_id'] = $order_id;
			return apply_filters( 'woocommerce_payment_successful_result', $result, $order_id );
		}
		return null;
	}
}
