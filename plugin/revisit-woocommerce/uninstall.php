<?php
/**
 * Uninstall: remove the plugin's options, its queue table, its scheduled work and its user meta.
 * Orders keep their `_revisit_credit_*` meta: it is part of what the customer paid.
 *
 * @package Revisit\WooCommerce
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

/**
 * Clean one site.
 */
function revisit_uninstall_site() {
	global $wpdb;
	$options = array(
		'revisit_access_key',
		'revisit_connection',
		'revisit_sender_state',
		'revisit_backfill',
		'revisit_db_version',
		'revisit_sender_lock',
		'revisit_store_id',
		'revisit_api_url',
	);
	foreach ( $options as $option ) {
		delete_option( $option );
	}
	delete_transient( 'revisit_pruned' );

	$hooks = array( 'revisit_send_queue', 'revisit_heartbeat', 'revisit_backfill_step', 'revisit_release_credit' );
	foreach ( $hooks as $hook ) {
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			as_unschedule_all_actions( $hook, null, 'revisit' );
		}
		wp_unschedule_hook( $hook );
	}

	$table = $wpdb->prefix . 'revisit_queue';
	$wpdb->query( "DROP TABLE IF EXISTS {$table}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery.SchemaChange -- table name from $wpdb->prefix only.
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids' ) ) as $revisit_site_id ) {
		switch_to_blog( $revisit_site_id );
		revisit_uninstall_site();
		restore_current_blog();
	}
} else {
	revisit_uninstall_site();
}

// User meta is network-wide: the hash of the last customer data sent.
delete_metadata( 'user', 0, '_revisit_customer_hash', '', true );
