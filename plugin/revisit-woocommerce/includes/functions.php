<?php
/**
 * Public functions for other plugins and themes.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

if ( ! function_exists( 'revisit_track' ) ) {
	/**
	 * Send an event to Revisit (queued now, delivered in the background, retried until Revisit has it).
	 *
	 * Example:
	 *
	 *     revisit_track(
	 *         'customer.updated',
	 *         array( 'external_id' => '57', 'phone' => '09121234567', 'birthday' => '1992-08-14' ),
	 *         array( 'id' => 'my-plugin-birthday-57-1992-08-14' )
	 *     );
	 *
	 * @param string $type Event type: customer.created, customer.updated, order.created, order.updated,
	 *                     order.refunded or payment.completed (see Revisit's event schema).
	 * @param array  $data The event's `data`, shaped as the schema says for that type.
	 * @param array  $args Optional. `id`: a stable id, so sending the same thing twice is one event
	 *                     (default: a new random id); `occurred_at`: when it happened (timestamp,
	 *                     DateTime or date string; default now).
	 * @return string|false The event id, or false when it was not queued (no key, or dropped by a filter).
	 */
	function revisit_track( $type, $data, $args = array() ) {
		if ( ! is_array( $data ) || '' === Revisit_Settings::access_key() ) {
			return false;
		}
		$args = is_array( $args ) ? array_intersect_key( $args, array_flip( array( 'id', 'occurred_at' ) ) ) : array();
		return Revisit_Plugin::instance()->events->track( (string) $type, $data, $args );
	}
}
