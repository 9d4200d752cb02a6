<?php
/**
 * wc_get_logger(): records entries for the tests to read.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * A logger with WooCommerce's log() signature.
 */
class WC_Logger {

	/**
	 * Entries: [level, message, context].
	 *
	 * @var array
	 */
	public static $entries = array();

	/**
	 * Log.
	 *
	 * @param string $level   Level.
	 * @param string $message Message.
	 * @param array  $context Context (source).
	 */
	public function log( $level, $message, $context = array() ) {
		self::$entries[] = array( $level, (string) $message, $context );
	}

	/**
	 * Shortcut.
	 *
	 * @param string $message Message.
	 * @param array  $context Context.
	 */
	public function error( $message, $context = array() ) {
		$this->log( 'error', $message, $context );
	}

	/**
	 * Shortcut.
	 *
	 * @param string $message Message.
	 * @param array  $context Context.
	 */
	public function warning( $message, $context = array() ) {
		$this->log( 'warning', $message, $context );
	}

	/**
	 * Shortcut.
	 *
	 * @param string $message Message.
	 * @param array  $context Context.
	 */
	public function info( $message, $context = array() ) {
		$this->log( 'info', $message, $context );
	}

	/**
	 * Shortcut.
	 *
	 * @param string $message Message.
	 * @param array  $context Context.
	 */
	public function debug( $message, $context = array() ) {
		$this->log( 'debug', $message, $context );
	}
}
