<?php
/**
 * The HTTP client for Revisit's REST API (`/rest/v1/...`), on top of the WordPress HTTP API.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * One answer from Revisit, or the reason there was none.
 */
final class Revisit_Response {

	/**
	 * HTTP status; 0 when the request never got an answer (network error, timeout).
	 *
	 * @var int
	 */
	public $status = 0;

	/**
	 * Decoded JSON body, or null.
	 *
	 * @var array|null
	 */
	public $body = null;

	/**
	 * Why the request failed, for logs and the settings page.
	 *
	 * @var string
	 */
	public $error = '';

	/**
	 * Seconds from a Retry-After header, or 0.
	 *
	 * @var int
	 */
	public $retry_after = 0;

	/**
	 * Whether Revisit answered with a 2xx status.
	 *
	 * @return bool
	 */
	public function ok() {
		return $this->status >= 200 && $this->status < 300;
	}

	/**
	 * No answer at all: DNS, connection refused, timeout, TLS.
	 *
	 * @return bool
	 */
	public function is_network_error() {
		return 0 === $this->status;
	}

	/**
	 * The key was refused (401) or may not do this (403).
	 *
	 * @return bool
	 */
	public function is_auth_error() {
		return 401 === $this->status || 403 === $this->status;
	}

	/**
	 * Worth trying again later: no answer, 429 or a 5xx.
	 *
	 * @return bool
	 */
	public function is_transient() {
		return $this->is_network_error() || 429 === $this->status || $this->status >= 500;
	}

	/**
	 * The `error.code` of an error answer, if any.
	 *
	 * @return string
	 */
	public function error_code() {
		if ( is_array( $this->body ) && isset( $this->body['error']['code'] ) ) {
			return (string) $this->body['error']['code'];
		}
		return '';
	}

	/**
	 * A short description for logs: status and error code, never the key.
	 *
	 * @return string
	 */
	public function describe() {
		if ( $this->is_network_error() ) {
			return 'no answer: ' . $this->error;
		}
		$code = $this->error_code();
		return 'HTTP ' . $this->status . ( '' !== $code ? ' ' . $code : '' );
	}
}

/**
 * Calls to Revisit.
 */
class Revisit_Api {

	/**
	 * Seconds to wait for the events endpoint (background only).
	 *
	 * @return int
	 */
	public static function background_timeout() {
		/**
		 * Filters the timeout, in seconds, of background calls (sending events, backfill).
		 *
		 * @param int $seconds Default 15.
		 */
		return max( 1, (int) apply_filters( 'revisit_http_timeout', 15 ) );
	}

	/**
	 * Seconds to wait for calls made while a shopper waits (credit, coupons).
	 *
	 * @return int
	 */
	public static function checkout_timeout() {
		/**
		 * Filters the timeout, in seconds, of calls made while a shopper waits (credit and coupons).
		 *
		 * @param int $seconds Default 3.
		 */
		return max( 1, (int) apply_filters( 'revisit_checkout_timeout', 3 ) );
	}

	/**
	 * `GET /rest/v1/connection`: which store this key belongs to.
	 *
	 * @param string|null $key  A key to try instead of the saved one.
	 * @param string|null $base A server address to try instead of the configured one.
	 * @return Revisit_Response
	 */
	public function connection( $key = null, $base = null ) {
		return $this->request( 'GET', '/rest/v1/connection', null, 10, $key, $base );
	}

	/**
	 * `POST /rest/v1/events` with up to 500 events.
	 *
	 * @param array[] $events Event envelopes.
	 * @return Revisit_Response
	 */
	public function send_events( array $events ) {
		return $this->request( 'POST', '/rest/v1/events', array( 'events' => array_values( $events ) ), self::background_timeout() );
	}

	/**
	 * `POST /rest/v1/credit/quote`.
	 *
	 * @param array  $customer   Identity: external_id, phone, email.
	 * @param string $cart_total Decimal string.
	 * @param string $currency   Currency code.
	 * @return Revisit_Response
	 */
	public function credit_quote( array $customer, $cart_total, $currency ) {
		return $this->request(
			'POST',
			'/rest/v1/credit/quote',
			array(
				'customer'   => (object) $customer,
				'cart_total' => $cart_total,
				'currency'   => $currency,
			),
			self::checkout_timeout()
		);
	}

	/**
	 * `POST /rest/v1/credit/hold`: take credit for an order (idempotent per order).
	 *
	 * @param string $order_id Order id.
	 * @param array  $customer Identity.
	 * @param string $amount   Decimal string.
	 * @param string $currency Currency code.
	 * @return Revisit_Response
	 */
	public function credit_hold( $order_id, array $customer, $amount, $currency ) {
		return $this->request(
			'POST',
			'/rest/v1/credit/hold',
			array(
				'order_external_id' => (string) $order_id,
				'customer'          => (object) $customer,
				'amount'            => $amount,
				'currency'          => $currency,
			),
			self::checkout_timeout()
		);
	}

	/**
	 * `POST /rest/v1/credit/release`: give an order's held credit back (idempotent).
	 *
	 * @param string   $order_id Order id.
	 * @param int|null $timeout  Seconds; the checkout timeout when null.
	 * @return Revisit_Response
	 */
	public function credit_release( $order_id, $timeout = null ) {
		return $this->request(
			'POST',
			'/rest/v1/credit/release',
			array( 'order_external_id' => (string) $order_id ),
			null === $timeout ? self::checkout_timeout() : (int) $timeout
		);
	}

	/**
	 * `POST /rest/v1/coupons/validate`.
	 *
	 * @param string $code       Code as typed (WooCommerce lower-cases codes).
	 * @param array  $customer   Identity.
	 * @param string $cart_total Decimal string.
	 * @param string $currency   Currency code.
	 * @return Revisit_Response
	 */
	public function validate_coupon( $code, array $customer, $cart_total, $currency ) {
		return $this->request(
			'POST',
			'/rest/v1/coupons/validate',
			array(
				'code'       => (string) $code,
				'customer'   => (object) $customer,
				'cart_total' => $cart_total,
				'currency'   => $currency,
			),
			self::checkout_timeout()
		);
	}

	/**
	 * One request to Revisit.
	 *
	 * @param string      $method  GET or POST.
	 * @param string      $path    Path under the server address.
	 * @param array|null  $body    JSON body.
	 * @param int         $timeout Seconds.
	 * @param string|null $key     Key to use instead of the saved one.
	 * @param string|null $base    Server address to use instead of the configured one.
	 * @return Revisit_Response
	 */
	public function request( $method, $path, $body, $timeout, $key = null, $base = null ) {
		$response = new Revisit_Response();
		$key      = null === $key ? Revisit_Settings::access_key() : trim( (string) $key );
		if ( '' === $key ) {
			$response->error = 'no access key';
			return $response;
		}
		$args = array(
			'method'      => $method,
			'timeout'     => $timeout,
			'redirection' => 0,
			'headers'     => array(
				'Authorization' => 'Bearer ' . $key,
				'Accept'        => 'application/json',
				'User-Agent'    => 'RevisitWooCommerce/' . REVISIT_WC_VERSION . '; ' . home_url( '/' ),
			),
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json; charset=utf-8';
			$args['body']                    = Revisit_Util::json( $body );
			$args['data_format']             = 'body';
		}
		/**
		 * Filters the arguments of every request to Revisit (wp_remote_request()).
		 *
		 * @param array  $args WordPress HTTP API arguments.
		 * @param string $path Path being called, e.g. /rest/v1/events.
		 */
		$args = apply_filters( 'revisit_http_args', $args, $path );

		$raw = wp_remote_request( ( null === $base ? Revisit_Settings::api_url() : untrailingslashit( (string) $base ) ) . $path, $args );
		if ( is_wp_error( $raw ) ) {
			$response->error = $raw->get_error_message();
			return $response;
		}
		$response->status = (int) wp_remote_retrieve_response_code( $raw );
		$decoded          = json_decode( (string) wp_remote_retrieve_body( $raw ), true );
		$response->body   = is_array( $decoded ) ? $decoded : null;
		$retry_after      = wp_remote_retrieve_header( $raw, 'retry-after' );
		if ( is_string( $retry_after ) && ctype_digit( trim( $retry_after ) ) ) {
			$response->retry_after = (int) trim( $retry_after );
		}
		if ( ! $response->ok() ) {
			$response->error = $response->describe();
		}
		return $response;
	}
}
