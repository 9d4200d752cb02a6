<?php
/**
 * Phone numbers: where to find a customer's, and how to clean it before sending.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Phone resolution, Digits-aware.
 *
 * Order of sources: the order's billing phone; Digits' `digits_phone`; Digits' `digt_countrycode` +
 * `digits_phone_no`; the user's `billing_phone`; then the `revisit_customer_phone` filter has the
 * last word.
 */
final class Revisit_Phone {

	/**
	 * Clean a phone as typed: Persian (۰-۹) and Arabic-Indic (٠-٩) digits become ASCII; spaces,
	 * dashes, dots, brackets and invisible direction marks go. A leading "+" stays; "00" stays
	 * (Revisit turns it into "+").
	 *
	 * @param mixed $phone Phone as typed.
	 * @return string Cleaned phone, or '' when nothing usable is left.
	 */
	public static function normalize( $phone ) {
		if ( ! is_scalar( $phone ) ) {
			return '';
		}
		$phone = Revisit_Util::ascii_digits( trim( (string) $phone ) );
		// Invisible marks often pasted with Persian text: ZWNJ/ZWJ, LRM/RLM, bidi embeddings and isolates, BOM.
		$phone = preg_replace( '/[\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}\x{FEFF}]/u', '', $phone );
		if ( null === $phone ) {
			return '';
		}
		$plus  = 0 === strpos( ltrim( $phone ), '+' );
		$phone = preg_replace( '/[^0-9]/', '', $phone );
		if ( '' === $phone ) {
			return '';
		}
		return ( $plus ? '+' : '' ) . $phone;
	}

	/**
	 * The phone Digits keeps for a user: `digits_phone` (e.g. +989121234567), else
	 * `digt_countrycode` (+98) joined with `digits_phone_no` (9121234567).
	 *
	 * @param int $user_id User id.
	 * @return string Cleaned phone or ''.
	 */
	public static function from_digits( $user_id ) {
		$user_id = (int) $user_id;
		if ( $user_id <= 0 ) {
			return '';
		}
		$phone = self::normalize( get_user_meta( $user_id, 'digits_phone', true ) );
		if ( '' !== $phone ) {
			return $phone;
		}
		$code   = self::normalize( get_user_meta( $user_id, 'digt_countrycode', true ) );
		$number = self::normalize( get_user_meta( $user_id, 'digits_phone_no', true ) );
		if ( '' === $number ) {
			return '';
		}
		if ( '' === $code || 0 === strpos( $number, '+' ) ) {
			return $number;
		}
		$code = '+' . ltrim( $code, '+' );
		// With a country code the national number loses its trunk zero: +98 and 0912… is +98912….
		return $code . ltrim( $number, '0' );
	}

	/**
	 * Resolve a customer's phone.
	 *
	 * @param int           $user_id User id, 0 for a guest.
	 * @param WC_Order|null $order   The order, when the phone is for an order.
	 * @return string Cleaned phone or ''.
	 */
	public static function resolve( $user_id, $order = null ) {
		$user_id = (int) $user_id;
		$phone   = '';
		if ( $order && is_callable( array( $order, 'get_billing_phone' ) ) ) {
			$phone = self::normalize( $order->get_billing_phone() );
		}
		if ( '' === $phone && $user_id > 0 ) {
			$phone = self::from_digits( $user_id );
		}
		if ( '' === $phone && $user_id > 0 ) {
			$phone = self::normalize( get_user_meta( $user_id, 'billing_phone', true ) );
		}
		/**
		 * Filters the phone sent for a customer (after the built-in sources were tried).
		 *
		 * @param string        $phone   Resolved phone, or '' when none was found.
		 * @param int           $user_id User id, 0 for a guest.
		 * @param WC_Order|null $order   The order, when resolving for an order.
		 */
		$filtered = apply_filters( 'revisit_customer_phone', $phone, $user_id, $order );
		return self::normalize( $filtered );
	}
}
