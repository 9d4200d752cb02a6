<?php
/**
 * uninstall.php removes the plugin's options, table, scheduled work and user meta.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Uninstall.
 */
class Uninstall_Test extends Revisit_TestCase {

	public function test_uninstall_removes_everything_the_plugin_created() {
		global $wpdb;
		$user_id = $this->customer();
		$order   = $this->order();
		$this->end_request();
		$this->assertNotEmpty( get_user_meta( $user_id, Revisit_Events::META_CUSTOMER_HASH, true ) );
		$this->plugin->admin->test_connection();
		$this->plugin->scheduler->ensure_recurring( Revisit_Sender::HEARTBEAT, 300 );
		$this->filter( 'revisit_use_action_scheduler', '__return_false' );
		$this->plugin->scheduler->schedule( Revisit_Sender::HOOK, time() + 60 );
		set_transient( 'revisit_pruned', time(), DAY_IN_SECONDS );
		foreach ( Revisit_Settings::all_options() as $option ) {
			if ( false === get_option( $option ) ) {
				update_option( $option, 'x', false );
			}
		}
		$order->update_meta_data( Revisit_Events::META_CREDIT_USED, '5000' );
		$order->save();

		if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
			define( 'WP_UNINSTALL_PLUGIN', 'revisit-woocommerce/revisit-woocommerce.php' );
		}
		include WP_PLUGIN_DIR . '/revisit-woocommerce/uninstall.php';
		wp_cache_flush();

		$this->assertFalse( Revisit_Queue::exists() );
		foreach ( Revisit_Settings::all_options() as $option ) {
			$this->assertFalse( get_option( $option ), $option );
		}
		$this->assertFalse( get_transient( 'revisit_pruned' ) );
		$this->assertSame( '', get_user_meta( $user_id, Revisit_Events::META_CUSTOMER_HASH, true ) );
		$this->assertSame( 0, (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->usermeta} WHERE meta_key = %s", Revisit_Events::META_CUSTOMER_HASH ) ) );
		$this->assertFalse( wp_next_scheduled( Revisit_Sender::HOOK ) );
		$this->assertSame( array(), $this->actions( Revisit_Sender::HEARTBEAT ) );
		$this->assertSame( array(), $this->actions( Revisit_Sender::HOOK ) );
		$this->assertSame( '5000', wc_get_order( $order->get_id() )->get_meta( Revisit_Events::META_CREDIT_USED ), 'Orders keep what they record.' );
	}

	/**
	 * Put the table back for whatever runs next.
	 */
	protected function tearDown(): void {
		Revisit_Plugin::install();
		parent::tearDown();
	}
}
