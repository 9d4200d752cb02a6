<?php
/**
 * FeaturesUtil::declare_compatibility, recording what plugins declare.
 *
 * @package Revisit\WooCommerce\Tests
 */

namespace Automattic\WooCommerce\Utilities;

/**
 * As WooCommerce's: declarations are only valid during `before_woocommerce_init`.
 */
class FeaturesUtil {

	/**
	 * Declarations: [feature, plugin file, positive, made during before_woocommerce_init].
	 *
	 * @var array
	 */
	public static $declarations = array();

	/**
	 * Declare (in)compatibility with a feature.
	 *
	 * @param string $feature_id            Feature, e.g. custom_order_tables.
	 * @param string $plugin_file           The plugin's main file.
	 * @param bool   $positive_compatibility Compatible or not.
	 * @return bool
	 */
	public static function declare_compatibility( $feature_id, $plugin_file, $positive_compatibility = true ) {
		self::$declarations[] = array(
			'feature'    => $feature_id,
			'file'       => $plugin_file,
			'compatible' => (bool) $positive_compatibility,
			'in_time'    => (bool) doing_action( 'before_woocommerce_init' ),
		);
		return true;
	}
}
