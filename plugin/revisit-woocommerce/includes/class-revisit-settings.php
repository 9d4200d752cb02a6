<?php
/**
 * The plugin's options: one access key, plus state the plugin keeps for itself.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Option names and accessors.
 */
final class Revisit_Settings {

	const OPTION_KEY        = 'revisit_access_key';
	const OPTION_CONNECTION = 'revisit_connection';
	const OPTION_SENDER     = 'revisit_sender_state';
	const OPTION_BACKFILL   = 'revisit_backfill';
	const OPTION_DB_VERSION = 'revisit_db_version';
	const OPTION_LOCK       = 'revisit_sender_lock';
	const OPTION_STORE      = 'revisit_store_id';
	const OPTION_API_URL    = 'revisit_api_url';

	/**
	 * The address used until one is set: on the settings page (Advanced), with the REVISIT_API_URL
	 * constant in wp-config.php (which wins), or with the `revisit_api_url` filter.
	 */
	const DEFAULT_API_URL = 'https://api.revisit.example';

	/**
	 * Every option the plugin creates (removed by uninstall.php).
	 *
	 * @return string[]
	 */
	public static function all_options() {
		return array(
			self::OPTION_KEY,
			self::OPTION_CONNECTION,
			self::OPTION_SENDER,
			self::OPTION_BACKFILL,
			self::OPTION_DB_VERSION,
			self::OPTION_LOCK,
			self::OPTION_STORE,
			self::OPTION_API_URL,
		);
	}

	/**
	 * The Revisit server's base address, without a trailing slash.
	 *
	 * @return string
	 */
	public static function api_url() {
		if ( self::api_url_is_constant() ) {
			$url = (string) REVISIT_API_URL;
		} else {
			$saved = self::saved_api_url();
			$url   = '' !== $saved ? $saved : self::DEFAULT_API_URL;
		}
		/**
		 * Filters the Revisit server address the plugin talks to.
		 *
		 * @param string $url Base address, e.g. https://api.revisit.example.
		 */
		$url = (string) apply_filters( 'revisit_api_url', $url );
		return untrailingslashit( $url );
	}

	/**
	 * Whether wp-config.php sets the address (REVISIT_API_URL); the settings page then only shows it.
	 *
	 * @return bool
	 */
	public static function api_url_is_constant() {
		return defined( 'REVISIT_API_URL' );
	}

	/**
	 * The address saved on the settings page, or ''.
	 *
	 * @return string
	 */
	public static function saved_api_url() {
		return (string) get_option( self::OPTION_API_URL, '' );
	}

	/**
	 * Check an address typed on the settings page: an absolute http(s) address without user,
	 * password, query or fragment; https unless the host is localhost or 127.0.0.1.
	 *
	 * @param string $url Address as typed.
	 * @return string|WP_Error The address without a trailing slash, or `address_invalid` /
	 *                         `address_insecure`.
	 */
	public static function validate_api_url( $url ) {
		$url   = trim( (string) $url );
		$parts = '' !== $url && strlen( $url ) <= 2000 ? wp_parse_url( $url ) : false;
		if ( ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) || isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) || preg_match( '/[\s<>"\\\\]/', $url ) ) {
			return new WP_Error( 'address_invalid', __( 'The server address must be a full address such as https://revisit.example.com.', 'revisit-woocommerce' ) );
		}
		$scheme = strtolower( $parts['scheme'] );
		$host   = strtolower( $parts['host'] );
		if ( 'https' !== $scheme && ! ( 'http' === $scheme && in_array( $host, array( 'localhost', '127.0.0.1' ), true ) ) ) {
			return new WP_Error( 'address_insecure', __( 'The server address must start with https:// (http:// is allowed only for localhost and 127.0.0.1).', 'revisit-woocommerce' ) );
		}
		return untrailingslashit( $url );
	}

	/**
	 * The store's access key ("rvk_<public>_<secret>"), or an empty string.
	 *
	 * @return string
	 */
	public static function access_key() {
		return trim( (string) get_option( self::OPTION_KEY, '' ) );
	}

	/**
	 * Store a new access key. Clears the last connection result and any pause caused by the old key.
	 *
	 * @param string $key Key as typed.
	 * @return bool Whether the key changed.
	 */
	public static function set_access_key( $key ) {
		$key = trim( sanitize_text_field( (string) $key ) );
		if ( self::access_key() === $key ) {
			return false;
		}
		self::remember_connected_store(); // Before the old connection's result is forgotten.
		update_option( self::OPTION_KEY, $key, true ); // Autoloaded: every request checks it.
		delete_option( self::OPTION_CONNECTION );
		Revisit_Sender::resume();
		return true;
	}

	/**
	 * Make an option autoloaded (options read on every request must not cost a query each).
	 *
	 * @param string $name Option name.
	 */
	public static function autoload( $name ) {
		if ( function_exists( 'wp_set_option_autoload' ) ) { // WordPress 6.4 and newer.
			wp_set_option_autoload( $name, true );
			return;
		}
		$missing = new stdClass();
		$value   = get_option( $name, $missing );
		if ( $value === $missing ) {
			return;
		}
		delete_option( $name );
		add_option( $name, $value, '', 'yes' );
	}

	/**
	 * The key with its secret hidden, for display: "rvk_ab12…".
	 *
	 * @return string
	 */
	public static function masked_key() {
		$key = self::access_key();
		if ( '' === $key ) {
			return '';
		}
		$parts = explode( '_', $key );
		if ( count( $parts ) >= 3 && 'rvk' === $parts[0] ) {
			return 'rvk_' . $parts[1] . '_…';
		}
		return substr( $key, 0, 4 ) . '…';
	}

	/**
	 * The Revisit store the queue, the customer fingerprints and the backfill belong to: the id the
	 * last successful connection test reported ('' before the first one).
	 *
	 * @return string
	 */
	public static function store_id() {
		return (string) get_option( self::OPTION_STORE, '' );
	}

	/**
	 * Remember the store of the last successful connection, when none is remembered yet (installs
	 * from before the plugin kept it had only the connection test's result).
	 */
	public static function remember_connected_store() {
		$connection = self::connection();
		if ( '' === self::store_id() && ! empty( $connection['ok'] ) && ! empty( $connection['store']['id'] ) ) {
			update_option( self::OPTION_STORE, (string) $connection['store']['id'], false );
		}
	}

	/**
	 * Last "test connection" result.
	 *
	 * @return array{ok?:bool,store?:array,error?:string,checked_at?:int}
	 */
	public static function connection() {
		$value = get_option( self::OPTION_CONNECTION, array() );
		return is_array( $value ) ? $value : array();
	}
}
