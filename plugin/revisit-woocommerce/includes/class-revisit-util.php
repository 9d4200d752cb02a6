<?php
/**
 * Small helpers: amounts as decimal strings, ISO 8601 times, JSON, logging.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Static helpers shared by the plugin's classes.
 */
final class Revisit_Util {

	/**
	 * An amount as a non-negative decimal string in major units ("125000.00"), never a float.
	 *
	 * @param mixed    $value    A number or numeric string as WooCommerce returns it.
	 * @param int|null $decimals Decimal places; the store's price decimals when null.
	 * @return string
	 */
	public static function amount( $value, $decimals = null ) {
		if ( null === $decimals ) {
			$decimals = function_exists( 'wc_get_price_decimals' ) ? (int) wc_get_price_decimals() : 2;
		}
		$decimals = max( 0, min( 8, (int) $decimals ) );
		if ( is_string( $value ) ) {
			$value = str_replace( array( ',', ' ' ), '', self::ascii_digits( $value ) );
		}
		if ( ! is_numeric( $value ) ) {
			$value = 0;
		}
		$number = abs( (float) $value );
		return number_format( $number, $decimals, '.', '' );
	}

	/**
	 * The same amount as a float, for comparisons inside the plugin only.
	 *
	 * @param mixed $value Amount.
	 * @return float
	 */
	public static function to_float( $value ) {
		if ( is_string( $value ) ) {
			$value = str_replace( array( ',', ' ' ), '', self::ascii_digits( $value ) );
		}
		return is_numeric( $value ) ? (float) $value : 0.0;
	}

	/**
	 * Persian (۰-۹) and Arabic-Indic (٠-٩) digits to ASCII digits.
	 *
	 * @param string $text Text.
	 * @return string
	 */
	public static function ascii_digits( $text ) {
		static $map = null;
		if ( null === $map ) {
			$map = array();
			for ( $i = 0; $i <= 9; $i++ ) {
				$map[ self::utf8_chr( 0x06F0 + $i ) ] = (string) $i; // Extended Arabic-Indic (Persian).
				$map[ self::utf8_chr( 0x0660 + $i ) ] = (string) $i; // Arabic-Indic.
			}
		}
		return strtr( (string) $text, $map );
	}

	/**
	 * The UTF-8 encoding of one code point (no mbstring needed).
	 *
	 * @param int $code Code point below 0x10000.
	 * @return string
	 */
	public static function utf8_chr( $code ) {
		if ( $code < 0x80 ) {
			return chr( $code );
		}
		if ( $code < 0x800 ) {
			return chr( 0xC0 | ( $code >> 6 ) ) . chr( 0x80 | ( $code & 0x3F ) );
		}
		return chr( 0xE0 | ( $code >> 12 ) ) . chr( 0x80 | ( ( $code >> 6 ) & 0x3F ) ) . chr( 0x80 | ( $code & 0x3F ) );
	}

	/**
	 * A time as ISO 8601 with the site's UTC offset ("2024-12-20T18:45:00+03:30").
	 *
	 * @param mixed $time A DateTimeInterface (WC_DateTime), a Unix timestamp or a date string.
	 * @return string|null Null when the value is empty (a date WooCommerce does not have) or unreadable.
	 */
	public static function iso( $time ) {
		if ( $time instanceof DateTimeInterface ) {
			$timestamp = $time->getTimestamp();
		} elseif ( is_numeric( $time ) && (int) $time > 0 ) {
			$timestamp = (int) $time;
		} elseif ( is_string( $time ) && '' !== trim( $time ) ) {
			try {
				// A time without an offset is the site's local time, as everywhere in WordPress.
				$timestamp = ( new DateTimeImmutable( $time, wp_timezone() ) )->getTimestamp();
			} catch ( Exception $e ) {
				return null;
			}
		} else {
			return null;
		}
		$date = new DateTimeImmutable( '@' . $timestamp );
		return $date->setTimezone( wp_timezone() )->format( DATE_ATOM );
	}

	/**
	 * A MySQL DATETIME in UTC, `seconds` from now.
	 *
	 * @param int $seconds Offset from now.
	 * @return string
	 */
	public static function mysql_utc( $seconds = 0 ) {
		return gmdate( 'Y-m-d H:i:s', time() + (int) $seconds );
	}

	/**
	 * JSON as Revisit expects it: UTF-8 text kept readable, slashes unescaped.
	 *
	 * @param mixed $value Value.
	 * @return string|false
	 */
	public static function json( $value ) {
		return wp_json_encode( $value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES );
	}

	/**
	 * A short, stable fingerprint of a value.
	 *
	 * @param mixed $value Value.
	 * @param int   $length Characters of the hash to keep.
	 * @return string
	 */
	public static function fingerprint( $value, $length = 10 ) {
		return substr( md5( (string) self::json( $value ) ), 0, $length );
	}

	/**
	 * Log through WooCommerce's logger (WooCommerce → Status → Logs, source "revisit").
	 *
	 * @param string $level   debug|info|notice|warning|error.
	 * @param string $message Message; never include access keys or full phone numbers.
	 */
	public static function log( $level, $message ) {
		if ( ! function_exists( 'wc_get_logger' ) ) {
			return;
		}
		wc_get_logger()->log( $level, $message, array( 'source' => 'revisit' ) );
	}
}
