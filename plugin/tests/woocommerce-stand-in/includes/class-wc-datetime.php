<?php
/**
 * WC_DateTime: a DateTime in the site's time zone.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * As WooCommerce's: DateTime, shown in the site's time zone, stringifies as ISO 8601.
 */
class WC_DateTime extends DateTime {

	/**
	 * A date for a Unix timestamp, in the site's time zone.
	 *
	 * @param int $timestamp Unix time.
	 * @return WC_DateTime
	 */
	public static function from_timestamp( $timestamp ) {
		$date = new self( '@' . (int) $timestamp );
		$date->setTimezone( wp_timezone() );
		return $date;
	}

	/**
	 * ISO 8601.
	 *
	 * @return string
	 */
	public function __toString() {
		return $this->format( DATE_ATOM );
	}

	/**
	 * Format in UTC.
	 *
	 * @param string $format Format.
	 * @return string
	 */
	public function date( $format ) {
		return gmdate( $format, $this->getTimestamp() );
	}
}
