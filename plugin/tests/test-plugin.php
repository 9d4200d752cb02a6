<?php
/**
 * The plugin as a WordPress plugin: headers, HPOS declaration, table, upgrade, translations,
 * readme, syntax, and CRUD-only access to orders.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Plugin basics.
 */
class Plugin_Test extends Revisit_TestCase {

	/**
	 * The plugin's folder.
	 *
	 * @return string
	 */
	private function dir() {
		return dirname( __DIR__ ) . '/revisit-woocommerce';
	}

	/**
	 * Every PHP file under plugin/.
	 *
	 * @param string $root Folder.
	 * @return string[]
	 */
	private function php_files( $root ) {
		$files    = array();
		$iterator = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $root, FilesystemIterator::SKIP_DOTS ) );
		foreach ( $iterator as $file ) {
			if ( 'php' === $file->getExtension() ) {
				$files[] = $file->getPathname();
			}
		}
		sort( $files );
		return $files;
	}

	public function test_the_plugin_header_is_complete() {
		$file = $this->dir() . '/revisit-woocommerce.php';
		$data = get_plugin_data( $file, false, false );
		$this->assertSame( 'Revisit for WooCommerce', $data['Name'] );
		$this->assertSame( '1.0.0', $data['Version'] );
		$this->assertSame( 'revisit-woocommerce', $data['TextDomain'] );
		$this->assertSame( '/languages', $data['DomainPath'] );
		$this->assertSame( '7.4', $data['RequiresPHP'] );
		$extra = get_file_data(
			$file,
			array(
				'wc_requires' => 'WC requires at least',
				'wc_tested'   => 'WC tested up to',
				'requires'    => 'Requires Plugins',
			)
		);
		$this->assertNotEmpty( $extra['wc_requires'] );
		$this->assertNotEmpty( $extra['wc_tested'] );
		$this->assertSame( 'woocommerce', $extra['requires'] );
		$this->assertTrue( is_plugin_active( 'revisit-woocommerce/revisit-woocommerce.php' ) );
	}

	public function test_hpos_compatibility_is_declared_in_time() {
		// WooCommerce only records a declaration made during before_woocommerce_init (later ones are
		// refused with a "doing it wrong" notice, which fails the run).
		$features = Automattic\WooCommerce\Utilities\FeaturesUtil::get_compatible_features_for_plugin( 'revisit-woocommerce/revisit-woocommerce.php' );
		$this->assertContains( 'custom_order_tables', $features['compatible'] );
		$this->assertNotContains( 'custom_order_tables', $features['incompatible'] );
		$this->assertContains(
			'revisit-woocommerce/revisit-woocommerce.php',
			Automattic\WooCommerce\Utilities\FeaturesUtil::get_compatible_plugins_for_feature( 'custom_order_tables' )['compatible']
		);
	}

	public function test_orders_are_only_touched_through_the_crud_api() {
		foreach ( $this->php_files( $this->dir() ) as $file ) {
			$source = (string) file_get_contents( $file );
			foreach ( array( 'get_post_meta', 'update_post_meta', 'add_post_meta', 'delete_post_meta', 'postmeta', 'get_post(', 'WP_Query', 'wc_orders' ) as $forbidden ) {
				$this->assertStringNotContainsString( $forbidden, $source, basename( $file ) . " uses $forbidden" );
			}
		}
	}

	public function test_the_queue_table_has_the_documented_shape() {
		global $wpdb;
		$table   = Revisit_Queue::table();
		$columns = $wpdb->get_col( "DESCRIBE {$table}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertSame( array( 'id', 'event_id', 'type', 'payload', 'status', 'attempts', 'next_attempt_at', 'last_error', 'created_at', 'sent_at' ), $columns );
		$unique = $wpdb->get_results( "SHOW INDEX FROM {$table} WHERE Key_name = 'event_id'" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$this->assertCount( 1, $unique );
		$this->assertSame( '0', (string) $unique[0]->Non_unique );
	}

	public function test_an_update_creates_or_upgrades_the_table_without_reactivation() {
		global $wpdb;
		$wpdb->query( 'DROP TABLE ' . Revisit_Queue::table() ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		update_option( Revisit_Settings::OPTION_DB_VERSION, '0', false );
		$this->assertFalse( Revisit_Queue::exists() );
		Revisit_Plugin::maybe_upgrade();
		$this->assertTrue( Revisit_Queue::exists() );
		$this->assertSame( REVISIT_WC_DB_VERSION, get_option( Revisit_Settings::OPTION_DB_VERSION ) );
	}

	public function test_the_persian_translation_loads_and_is_complete() {
		$persian = static function ( $locale, $domain ) {
			return 'revisit-woocommerce' === $domain ? 'fa_IR' : $locale;
		};
		$this->filter( 'plugin_locale', $persian, 10, 2 );
		unload_textdomain( 'revisit-woocommerce' );
		$this->plugin->load_textdomain();
		try {
			$this->assertSame( 'اعتبار خرید', __( 'Store credit', 'revisit-woocommerce' ) );
			$this->assertSame( 'شما ۱۲۰ اعتبار خرید دارید.', sprintf( __( 'You have %s of store credit.', 'revisit-woocommerce' ), '۱۲۰' ) );
		} finally {
			remove_filter( 'plugin_locale', $persian, 10 );
			unload_textdomain( 'revisit-woocommerce' );
		}

		require_once ABSPATH . WPINC . '/pomo/po.php';
		$pot = new PO();
		$this->assertTrue( $pot->import_from_file( $this->dir() . '/languages/revisit-woocommerce.pot' ) );
		$mo = new MO();
		$this->assertTrue( $mo->import_from_file( $this->dir() . '/languages/revisit-woocommerce-fa_IR.mo' ) );
		$this->assertGreaterThan( 40, count( $pot->entries ) );
		foreach ( $pot->entries as $key => $entry ) {
			$this->assertArrayHasKey( $key, $mo->entries, "Untranslated (or .mo not compiled): {$entry->singular}" );
			$this->assertNotSame( '', $mo->entries[ $key ]->translations[0] );
			$this->assertSame( substr_count( $entry->singular, '%' ), substr_count( $mo->entries[ $key ]->translations[0], '%' ), "Placeholders differ: {$entry->singular}" );
		}
	}

	public function test_the_translation_template_matches_the_code() {
		if ( ! is_executable( '/usr/bin/xgettext' ) && '' === trim( (string) shell_exec( 'command -v xgettext' ) ) ) {
			$this->markTestSkipped( 'xgettext (gettext) is not installed.' );
		}
		$pot = tempnam( sys_get_temp_dir(), 'pot' );
		$cmd = 'cd ' . escapeshellarg( $this->dir() ) . ' && find . -name "*.php" | xargs xgettext --language=PHP --from-code=UTF-8'
			. ' --keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e --keyword=esc_attr__ --keyword=esc_attr_e'
			. ' --keyword=_x:1,2c --keyword=_n:1,2 --output=' . escapeshellarg( $pot ) . ' 2>&1';
		exec( $cmd, $output, $status );
		$this->assertSame( 0, $status, implode( "\n", $output ) );
		require_once ABSPATH . WPINC . '/pomo/po.php';
		$fresh = new PO();
		$fresh->import_from_file( $pot );
		$committed = new PO();
		$committed->import_from_file( $this->dir() . '/languages/revisit-woocommerce.pot' );
		unlink( $pot );
		$fresh_keys     = array_keys( $fresh->entries );
		$committed_keys = array_keys( $committed->entries );
		sort( $fresh_keys );
		sort( $committed_keys );
		$this->assertSame( $fresh_keys, $committed_keys, 'Run plugin/tools/i18n.sh and translate the new strings.' );
	}

	public function test_readme_has_the_wordpress_sections() {
		$readme = (string) file_get_contents( $this->dir() . '/readme.txt' );
		foreach ( array( '=== Revisit for WooCommerce ===', '== Description ==', '== Installation ==', '== Frequently Asked Questions ==', '== Changelog ==', 'Requires PHP: 7.4', 'Stable tag: 1.0.0' ) as $needle ) {
			$this->assertStringContainsString( $needle, $readme );
		}
	}

	public function test_every_php_file_passes_php_lint() {
		$files = $this->php_files( dirname( $this->dir() ) );
		$this->assertGreaterThan( 30, count( $files ) );
		foreach ( $files as $file ) {
			exec( escapeshellarg( PHP_BINARY ) . ' -l ' . escapeshellarg( $file ) . ' 2>&1', $output, $status );
			$this->assertSame( 0, $status, $file . ': ' . implode( "\n", $output ) );
		}
	}

	public function test_deactivation_stops_background_work_but_keeps_the_data() {
		$this->order();
		$this->end_request();
		$this->plugin->scheduler->ensure_recurring( Revisit_Sender::HEARTBEAT, 300 );
		Revisit_Plugin::deactivate();
		$this->assertSame( array(), $this->actions( Revisit_Sender::HOOK ) );
		$this->assertSame( array(), $this->actions( Revisit_Sender::HEARTBEAT ) );
		$this->assertCount( 1, $this->rows() );
		$this->assertSame( REVISIT_TEST_KEY, Revisit_Settings::access_key() );
	}
}
