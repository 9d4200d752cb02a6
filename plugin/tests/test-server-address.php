<?php
/**
 * The Revisit server's address on the settings page (Advanced), and REVISIT_API_URL over it.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * The test process defines REVISIT_API_URL (the local Revisit), which wins over the page. The page's
 * own field is therefore exercised in a second PHP process on the same site and database, loaded
 * without the constant: a real WordPress request of the settings form, run to the end.
 */
class Test_Server_Address extends Revisit_TestCase {

	/**
	 * Given addresses as an administrator might type them, when they are checked, then https is
	 * required except for localhost and 127.0.0.1, anything that is not a plain absolute address is
	 * refused with its own error code, and a trailing slash is dropped.
	 */
	public function test_addresses_need_https_except_on_this_machine() {
		$cases = array(
			'https://revisit.example.com'        => 'https://revisit.example.com',
			'https://revisit.example.com/api/'   => 'https://revisit.example.com/api',
			'http://localhost:8080'              => 'http://localhost:8080',
			'http://127.0.0.1:9000/'             => 'http://127.0.0.1:9000',
			'http://revisit.example.com'         => 'address_insecure',
			'http://127.0.0.2'                   => 'address_insecure',
			'ftp://revisit.example.com'          => 'address_insecure',
			'revisit.example.com'                => 'address_invalid',
			'https://user:pw@revisit.example.com' => 'address_invalid',
			'https://revisit.example.com/?a=1'   => 'address_invalid',
			'https://revisit.example.com/#x'     => 'address_invalid',
			'https://revisit.example.com/a b'    => 'address_invalid',
			''                                   => 'address_invalid',
		);
		foreach ( $cases as $typed => $expected ) {
			$result = Revisit_Settings::validate_api_url( $typed );
			$this->assertSame( $expected, is_wp_error( $result ) ? $result->get_error_code() : $result, "Typed: {$typed}" );
		}
	}

	/**
	 * Given no REVISIT_API_URL and the default address, when the administrator saves the address of a
	 * Revisit that answers the connection check (the local one, as http://localhost), then it is
	 * saved, the plugin uses it, and the connection is made there.
	 */
	public function test_an_address_that_answers_is_saved_and_used() {
		// given
		$address = str_replace( '127.0.0.1', 'localhost', REVISIT_API_URL );

		// when
		$result = $this->request_without_constant( array( 'revisit_api_url' => $address . '/' ) );

		// then
		$this->assertSame( 'connected', $result['notice'] );
		$this->assertSame( $address, $result['saved'] );
		$this->assertSame( $address, $result['api_url'] );
		$this->assertCount( 1, $this->requests( '/rest/v1/connection' ) );
		$this->assertTrue( Revisit_Settings::connection()['ok'] );
	}

	/**
	 * Given a saved address, when the administrator saves one where nothing answers, or one over
	 * plain http, then neither is saved (the old one stays), each with its own notice, and the plain
	 * http one is not even tried.
	 */
	public function test_an_address_that_does_not_answer_or_is_not_https_is_not_saved() {
		// given
		$address = str_replace( '127.0.0.1', 'localhost', REVISIT_API_URL );
		$this->assertSame( 'connected', $this->request_without_constant( array( 'revisit_api_url' => $address ) )['notice'] );
		$tries = count( $this->requests( '/rest/v1/connection' ) );

		// when
		$silent   = $this->request_without_constant( array( 'revisit_api_url' => 'http://127.0.0.1:1' ) );
		$insecure = $this->request_without_constant( array( 'revisit_api_url' => 'http://revisit.example.com' ) );
		$refused  = $this->request_without_constant(
			array(
				'revisit_api_url'    => REVISIT_API_URL,
				'revisit_access_key' => 'rvk_wrong_wrongsecret',
			)
		);

		// then
		$this->assertSame( 'address_unreachable', $silent['notice'] );
		$this->assertSame( 'address_insecure', $insecure['notice'] );
		$this->assertSame( 'address_key_refused', $refused['notice'] );
		foreach ( array( $silent, $insecure, $refused ) as $result ) {
			$this->assertSame( $address, $result['saved'], 'The old address stays.' );
		}
		$this->assertSame( REVISIT_TEST_KEY, $refused['key'], 'A key refused at the new address is not saved either.' );
		$this->assertCount( $tries + 1, $this->requests( '/rest/v1/connection' ), 'Only the refused key reached Revisit.' );
	}

	/**
	 * Given no REVISIT_API_URL and a saved address, when the settings page is shown, then the
	 * Advanced section holds an editable field with the saved address.
	 */
	public function test_the_page_shows_the_saved_address_in_an_editable_field() {
		// given
		$address = str_replace( '127.0.0.1', 'localhost', REVISIT_API_URL );
		$this->request_without_constant( array( 'revisit_api_url' => $address ) );

		// when
		$html = $this->request_without_constant( array() )['page'];

		// then
		$this->assertMatchesRegularExpression( '/<details class="revisit-advanced" open>/', $html );
		$this->assertMatchesRegularExpression( '/<input type="url" id="revisit_api_url" name="revisit_api_url"[^>]* value="' . preg_quote( esc_attr( $address ), '/' ) . '"/', $html );
		$this->assertStringNotContainsString( 'readonly', $html );
	}

	/**
	 * Given REVISIT_API_URL in wp-config.php (this process), when the page is shown and a form with
	 * another address is submitted, then the page shows the constant's address read-only and says
	 * where it comes from, and the submitted address is neither saved nor used.
	 */
	public function test_the_constant_wins_and_the_page_says_so() {
		// given
		wp_set_current_user( 1 );

		// when
		ob_start();
		$this->plugin->admin->render();
		$html    = (string) ob_get_clean();
		$_POST   = array(
			'action'          => 'revisit_save',
			'revisit_api_url' => 'https://elsewhere.example.com',
			'_wpnonce'        => wp_create_nonce( 'revisit_save' ),
		);
		$_REQUEST = $_POST;
		$notice   = $this->plugin->admin->process( 'revisit_save' );

		// then
		$this->assertMatchesRegularExpression( '/<input type="url" id="revisit_api_url" class="regular-text code" dir="ltr" value="' . preg_quote( esc_attr( REVISIT_API_URL ), '/' ) . '" readonly="readonly" disabled="disabled"/', $html );
		$this->assertStringContainsString( 'REVISIT_API_URL', $html );
		$this->assertStringNotContainsString( 'name="revisit_api_url"', $html );
		$this->assertSame( 'key_unchanged', $notice, 'Only the key part of the form counts.' );
		$this->assertSame( '', Revisit_Settings::saved_api_url() );
		$this->assertSame( REVISIT_API_URL, Revisit_Settings::api_url() );
		$this->assertSame( 'address_locked', $this->plugin->admin->change_api_url( 'https://elsewhere.example.com' ) );
	}

	/**
	 * One request of the settings page in a fresh PHP process of this site, without REVISIT_API_URL:
	 * submit the form (when `$fields` is not empty) as the administrator, then render the page.
	 *
	 * @param array $fields Form fields besides the action and nonce.
	 * @return array{notice:string,saved:string,api_url:string,key:string,page:string}
	 */
	private function request_without_constant( array $fields ) {
		$script = tempnam( sys_get_temp_dir(), 'revisit-address' );
		file_put_contents( // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents
			$script,
			'<?php
			require getenv( "REVISIT_WP_CONFIG" );
			foreach ( array( "HTTP_HOST" => "example.org", "SERVER_NAME" => "example.org", "SERVER_PORT" => "80", "REQUEST_URI" => "/wp-admin/admin-post.php", "REQUEST_METHOD" => "POST", "SERVER_PROTOCOL" => "HTTP/1.1", "REMOTE_ADDR" => "127.0.0.1" ) as $k => $v ) { $_SERVER[ $k ] = $v; }
			require ABSPATH . "wp-settings.php";
			require_once ABSPATH . "wp-admin/includes/template.php";
			wp_set_current_user( 1 );
			$fields = json_decode( (string) getenv( "REVISIT_FORM" ), true );
			$notice = "";
			if ( $fields ) {
				$_POST    = array_merge( array( "action" => "revisit_save", "_wpnonce" => wp_create_nonce( "revisit_save" ) ), $fields );
				$_REQUEST = $_POST;
				$notice   = Revisit_Plugin::instance()->admin->process( "revisit_save" );
			}
			ob_start();
			Revisit_Plugin::instance()->admin->render();
			$page = ob_get_clean();
			echo "\n@@" . json_encode( array( "notice" => $notice, "saved" => Revisit_Settings::saved_api_url(), "api_url" => Revisit_Settings::api_url(), "key" => Revisit_Settings::access_key(), "constant" => defined( "REVISIT_API_URL" ), "page" => $page ) );
			'
		);
		$env     = array_merge( getenv(), array( 'REVISIT_FORM' => wp_json_encode( (object) $fields ) ) );
		$process = proc_open( array( PHP_BINARY, $script ), array( 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ), $pipes, null, $env );
		$out     = stream_get_contents( $pipes[1] );
		$err     = stream_get_contents( $pipes[2] );
		fclose( $pipes[1] );
		fclose( $pipes[2] );
		$code = proc_close( $process );
		unlink( $script ); // phpcs:ignore WordPress.WP.AlternativeFunctions.unlink_unlink
		$at = strrpos( (string) $out, "\n@@" );
		$this->assertNotFalse( $at, "The request ran (exit {$code}): {$out} {$err}" );
		$result = json_decode( substr( $out, $at + 3 ), true );
		$this->assertFalse( $result['constant'], 'That process has no REVISIT_API_URL.' );
		wp_cache_flush(); // Its writes are in the database.
		return $result;
	}
}
