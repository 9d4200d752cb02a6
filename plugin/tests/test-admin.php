<?php
/**
 * The settings page: one field, the connection test, nonces, capabilities, escaping.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Admin.
 */
class Admin_Test extends Revisit_TestCase {

	/**
	 * Submit one of the page's forms as the current user.
	 *
	 * @param string $action Action.
	 * @param array  $fields Fields.
	 * @param bool   $nonce  Include a valid nonce.
	 * @return string Notice code.
	 */
	private function submit( $action, array $fields = array(), $nonce = true ) {
		$_POST = array_merge( array( 'action' => $action ), $fields );
		if ( $nonce ) {
			$_POST['_wpnonce'] = wp_create_nonce( $action );
		}
		$_REQUEST = $_POST;
		return $this->plugin->admin->process( $action );
	}

	/**
	 * The settings page's HTML.
	 *
	 * @param array $get Query.
	 * @return string
	 */
	private function page( array $get = array() ) {
		$_GET = $get;
		ob_start();
		try {
			$this->plugin->admin->render();
		} finally {
			$html = ob_get_clean();
		}
		return $html;
	}

	public function test_the_page_sits_under_woocommerce_for_shop_managers() {
		global $submenu;
		wp_set_current_user( 1 );
		$this->plugin->admin->menu();
		$entries = wp_list_pluck( $submenu['woocommerce'], 2 );
		$this->assertContains( 'revisit', $entries );
		$entry = $submenu['woocommerce'][ array_search( 'revisit', $entries, true ) ];
		$this->assertSame( 'manage_woocommerce', $entry[1] );
	}

	public function test_the_page_has_one_field_and_nonced_forms() {
		wp_set_current_user( 1 );
		$html = $this->page();
		$this->assertSame( 1, preg_match_all( '/<input type="(?:text|password)"/', $html ), 'Exactly one setting.' );
		$this->assertStringContainsString( 'name="revisit_access_key"', $html );
		$this->assertStringContainsString( 'type="password"', $html );
		$this->assertStringNotContainsString( REVISIT_TEST_KEY, $html, 'The saved secret is never printed.' );
		$this->assertStringContainsString( 'rvk_test_…', $html );
		foreach ( Revisit_Admin::ACTIONS as $action ) {
			$this->assertStringContainsString( 'value="' . $action . '"', $html );
		}
		$this->assertSame( 4, substr_count( $html, 'name="_wpnonce"' ) );
	}

	public function test_saving_a_key_tests_the_connection_and_shows_the_store() {
		wp_set_current_user( 1 );
		delete_option( Revisit_Settings::OPTION_KEY );
		$this->assertSame( 'connected', $this->submit( 'revisit_save', array( 'revisit_access_key' => '  ' . REVISIT_TEST_KEY . ' ' ) ) );
		$this->assertSame( REVISIT_TEST_KEY, Revisit_Settings::access_key() );
		$this->assertSame( 'Bearer ' . REVISIT_TEST_KEY, $this->requests( '/rest/v1/connection' )[0]['authorization'] );
		$html = $this->page( array( 'revisit_notice' => 'connected' ) );
		$this->assertStringContainsString( 'Connected to Revisit.', $html );
		$this->assertStringContainsString( 'Connected to the store &quot;فروشگاه آزمایشی&quot;.', $html );
		$this->assertStringContainsString( 'Currency IRT, time zone Asia/Tehran.', $html );
		$this->assertSame( 'running', Revisit_Backfill::state()['status'], 'The first connection starts the backfill.' );

		// An empty field keeps the saved key.
		$this->assertSame( 'key_unchanged', $this->submit( 'revisit_save', array( 'revisit_access_key' => '' ) ) );
		$this->assertSame( REVISIT_TEST_KEY, Revisit_Settings::access_key() );
	}

	public function test_a_wrong_key_or_an_unreachable_revisit_is_reported() {
		wp_set_current_user( 1 );
		$this->assertSame( 'key_refused', $this->submit( 'revisit_save', array( 'revisit_access_key' => 'rvk_nope_nope' ) ) );
		$this->assertStringContainsString( 'Not connected (HTTP 401 UNAUTHENTICATED).', $this->page() );
		$this->assertSame( '', Revisit_Backfill::state()['status'] );

		Revisit_Settings::set_access_key( REVISIT_TEST_KEY );
		$this->server->configure( array( 'mode' => 'fail', 'fail_status' => 502 ) );
		$this->assertSame( 'connection_failed', $this->submit( 'revisit_test' ) );
	}

	public function test_actions_need_the_capability_and_a_valid_nonce() {
		$subscriber = $this->customer( array(), array( 'role' => 'subscriber' ) );
		wp_set_current_user( $subscriber );
		try {
			$this->submit( 'revisit_save', array( 'revisit_access_key' => 'rvk_evil_key' ) );
			$this->fail( 'A subscriber changed the key.' );
		} catch ( Revisit_Test_Die $e ) {
			$this->assertSame( 403, $e->status );
		}
		$this->assertSame( REVISIT_TEST_KEY, Revisit_Settings::access_key() );

		wp_set_current_user( 1 );
		try {
			$this->submit( 'revisit_save', array( 'revisit_access_key' => 'rvk_evil_key' ), false );
			$this->fail( 'Saved without a nonce.' );
		} catch ( Revisit_Test_Die $e ) {
			$this->assertSame( REVISIT_TEST_KEY, Revisit_Settings::access_key() );
		}

		try {
			$this->plugin->admin->process( 'revisit_drop_tables' );
			$this->fail( 'An unknown action ran.' );
		} catch ( Revisit_Test_Die $e ) {
			$this->assertSame( 400, $e->status );
		}

		wp_set_current_user( $subscriber );
		try {
			$this->page();
			$this->fail( 'A subscriber saw the page.' );
		} catch ( Revisit_Test_Die $e ) {
			$this->assertSame( 403, $e->status );
		}
	}

	public function test_everything_shown_is_escaped() {
		wp_set_current_user( 1 );
		$this->server->configure(
			array(
				'store' => array(
					'id'       => 'x',
					'name'     => '"Sara\'s" <b>Shop</b> & <img src=x onerror=alert(1)>',
					'currency' => '<i>IRT</i>',
					'timezone' => 'Asia/Tehran',
				),
			)
		);
		$this->plugin->admin->test_connection();
		revisit_track( 'order.updated', array( 'external_id' => '<script>alert(1)</script>' ), array( 'id' => '<script>id</script>' ) );
		$this->run_sender();
		update_option(
			Revisit_Settings::OPTION_SENDER,
			array_merge(
				Revisit_Sender::state(),
				array(
					'failures'   => 2,
					'last_error' => '<script>alert("err")</script>',
				)
			),
			false
		);
		$html = $this->page( array( 'revisit_notice' => '<script>' ) );
		$this->assertStringNotContainsString( '<script', $html );
		$this->assertStringNotContainsString( '<img', $html );
		$this->assertStringNotContainsString( '<b>Shop', $html );
		$this->assertStringContainsString( '&lt;script&gt;id&lt;/script&gt;', $html );
		$this->assertStringContainsString( 'Latest refusals', $html );
	}

	public function test_send_now_resumes_after_a_pause() {
		wp_set_current_user( 1 );
		update_option(
			Revisit_Settings::OPTION_SENDER,
			array(
				'paused'          => true,
				'paused_status'   => 401,
				'failures'        => 3,
				'next_attempt_at' => time() + 3000,
			),
			false
		);
		$this->assertSame( 'send_scheduled', $this->submit( 'revisit_send_now' ) );
		$state = Revisit_Sender::state();
		$this->assertFalse( $state['paused'] );
		$this->assertSame( 0, $state['failures'] );
		$this->assertSame( 0, $state['next_attempt_at'] );
	}

	public function test_the_backfill_button_starts_it() {
		wp_set_current_user( 1 );
		$this->assertSame( 'backfill_started', $this->submit( 'revisit_backfill' ) );
		$this->assertSame( 'running', Revisit_Backfill::state()['status'] );
		$this->assertStringContainsString( 'Sending customers and orders:', $this->page() );
	}

	public function test_the_pause_notice_is_for_shop_managers_only() {
		update_option( Revisit_Settings::OPTION_SENDER, array( 'paused' => true ), false );
		wp_set_current_user( $this->customer() );
		ob_start();
		$this->plugin->admin->notices();
		$this->assertSame( '', ob_get_clean() );
	}
}
