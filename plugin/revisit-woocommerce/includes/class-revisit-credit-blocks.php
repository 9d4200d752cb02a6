<?php
/**
 * The block-based Cart and Checkout's side of the store credit: one small script.
 *
 * Loaded only when WooCommerce Blocks registers its integrations (the interface exists then).
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

use Automattic\WooCommerce\Blocks\Integrations\IntegrationInterface;

/**
 * Registers the script that shows the credit and the "use my credit" checkbox in the Cart and
 * Checkout blocks. It reads the credit from the Store API cart (`extensions.revisit`) and applies
 * or removes it through `cart/extensions` (namespace `revisit`); see Revisit_Credit.
 */
class Revisit_Credit_Blocks implements IntegrationInterface {

	const HANDLE = 'revisit-credit-blocks';

	/**
	 * The integration's name.
	 *
	 * @return string
	 */
	public function get_name() {
		return 'revisit-credit';
	}

	/**
	 * Register the script (plain JavaScript on WooCommerce's and WordPress's globals, no build step).
	 */
	public function initialize() {
		wp_register_script(
			self::HANDLE,
			plugins_url( 'assets/revisit-credit-blocks.js', REVISIT_WC_FILE ),
			array( 'wc-blocks-checkout', 'wp-plugins', 'wp-element' ),
			REVISIT_WC_VERSION,
			true
		);
	}

	/**
	 * Scripts for the front end.
	 *
	 * @return string[]
	 */
	public function get_script_handles() {
		return array( self::HANDLE );
	}

	/**
	 * Scripts for the editor: none (the credit is the shopper's, there is nothing to show there).
	 *
	 * @return string[]
	 */
	public function get_editor_script_handles() {
		return array();
	}

	/**
	 * Data for the script: none; everything comes with the cart from the Store API.
	 *
	 * @return array
	 */
	public function get_script_data() {
		return array();
	}
}
