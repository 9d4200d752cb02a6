<?php
/**
 * What the plugin costs a request that changes an order: queries and time, on real WooCommerce.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * The promise in the FAQ: an order status change costs the shopper's request at most two queries
 * (the queue INSERT and the wake-up of the background sender), and a few milliseconds.
 */
class Test_Request_Cost extends Revisit_TestCase {

	/**
	 * Most queries the plugin may add to a request that changes an order's status.
	 */
	const MAX_QUERIES = 2;

	/**
	 * Queries seen while counting: [sql, whether a plugin frame was on the stack].
	 *
	 * @var array[]
	 */
	private $seen = array();

	/**
	 * Plugin callbacks taken off their hooks (to measure WooCommerce alone), to put back.
	 *
	 * @var array[]
	 */
	private $detached = array();

	/**
	 * No mail server on test machines: WooCommerce still builds its e-mails, nothing is sent.
	 */
	protected function setUp(): void {
		parent::setUp();
		$this->filter( 'pre_wp_mail', '__return_false' );
	}

	/**
	 * Put back whatever was detached, even when an assertion failed.
	 */
	protected function tearDown(): void {
		$this->attach_plugin();
		remove_filter( 'query', array( $this, 'record_query' ) );
		parent::tearDown();
	}

	/**
	 * Given an order placed earlier (its events delivered, no send waiting), when a later request
	 * loads it and changes its status as WooCommerce does (update_status, e-mails and all) and the
	 * request ends, then the plugin's own queries are at most two and only one of them writes (the
	 * INSERT into the queue; Action Scheduler's tick wakes the sender, no scheduling query) — and the same change with the plugin's hooks removed runs at
	 * most that many fewer queries. The time the plugin adds is printed, not asserted.
	 */
	public function test_an_order_status_change_costs_at_most_two_queries() {
		// given
		$product = $this->cost_product();
		$user_id = wp_insert_user(
			array(
				'user_login' => 'cost' . wp_generate_password( 8, false ),
				'user_pass'  => wp_generate_password(),
				'user_email' => 'cost' . wp_generate_password( 8, false ) . '@example.com',
				'role'       => 'customer',
			)
		);
		$this->assertIsInt( $user_id );
		$runs    = array(
			'plugin'  => array(),
			'without' => array(),
		);
		$queries = array();
		// A first pair warms what any first request warms (PHP classes, WooCommerce's e-mail templates);
		// it is not counted.
		for ( $i = 0; $i < 6; $i++ ) {
			foreach ( array( 'without', 'plugin' ) as $mode ) {
				$order_id = $this->cost_order( $product, $user_id );
				$this->prepare_fresh_request();
				$order = wc_get_order( $order_id ); // WooCommerce loads the order for its own request.

				// when
				$result = $this->change_status( $order, 'without' === $mode );

				if ( 0 === $i ) {
					continue;
				}
				$runs[ $mode ][] = $result;
				if ( 'plugin' === $mode ) {
					$queries[] = $result['ours'];
					// then (each time): the event has the new state, and a send is scheduled.
					$event = $this->latest_event_of( $order_id );
					$this->assertSame( 'completed', $event['data']['status'] );
					$this->assertTrue( $this->send_is_scheduled(), 'The change schedules a send.' );
				} else {
					$this->assertSame( array(), $result['ours'], 'With its hooks removed the plugin runs no query.' );
				}
			}
		}

		// then
		foreach ( $queries as $ours ) {
			$this->assertLessThanOrEqual( self::MAX_QUERIES, count( $ours ), "The plugin's queries:\n" . implode( "\n", $ours ) );
			$this->assertSame( 1, count( $this->writes( $ours ) ), 'One write: the queue INSERT.' );
			$this->assertMatchesRegularExpression( '/^INSERT IGNORE INTO \S*revisit_queue /', $this->writes( $ours )[0] );
		}
		$extra = array();
		foreach ( array_keys( $runs['plugin'] ) as $i ) {
			$extra[] = $runs['plugin'][ $i ]['total'] - $runs['without'][ $i ]['total'];
		}
		sort( $extra );
		$this->assertLessThanOrEqual( self::MAX_QUERIES, $extra[ (int) floor( count( $extra ) / 2 ) ], 'Compared with the plugin removed, at most two more queries (median).' );
		printf(
			"\n[request cost] order status change (%s): plugin queries %s; all queries with the plugin minus without: %s; time in the plugin's end-of-request work: median %.2f ms; whole change with the plugin: median %.2f ms, without: median %.2f ms\n",
			Automattic\WooCommerce\Utilities\OrderUtil::custom_orders_table_usage_is_enabled() ? 'HPOS' : 'posts',
			implode( ', ', array_map( 'count', $queries ) ),
			implode( ', ', $extra ),
			1000 * self::median( wp_list_pluck( $runs['plugin'], 'flush_seconds' ) ),
			1000 * self::median( wp_list_pluck( $runs['plugin'], 'seconds' ) ),
			1000 * self::median( wp_list_pluck( $runs['without'], 'seconds' ) )
		);
	}

	/**
	 * Given a send already scheduled in this request, when more orders change in the same request,
	 * then each change costs only its queue INSERT (with posts storage also the read of the order
	 * post's saved date): the wake-up is checked once per request, nothing is scheduled again.
	 */
	public function test_later_changes_in_the_same_request_cost_only_their_insert() {
		// given
		$product = $this->cost_product();
		$first   = wc_get_order( $this->cost_order( $product, 0 ) );
		$second  = wc_get_order( $this->cost_order( $product, 0 ) );
		$this->prepare_fresh_request();
		$this->change_status( $first, false );

		// when
		$result = $this->change_status( $second, false );

		// then
		$writes = $this->writes( $result['ours'] );
		$this->assertCount( 1, $writes, "The plugin's queries:\n" . implode( "\n", $result['ours'] ) );
		$this->assertMatchesRegularExpression( '/^INSERT IGNORE INTO \S*revisit_queue /', $writes[0] );
		$this->assertLessThanOrEqual( Automattic\WooCommerce\Utilities\OrderUtil::custom_orders_table_usage_is_enabled() ? 1 : 2, count( $result['ours'] ) );
	}

	/**
	 * The queries that write (anything but SELECT).
	 *
	 * @param string[] $queries Queries.
	 * @return string[]
	 */
	private function writes( array $queries ) {
		return array_values(
			array_filter(
				$queries,
				static function ( $sql ) {
					return ! preg_match( '/^\s*SELECT\s/i', $sql );
				}
			)
		);
	}

	/**
	 * Given the options as version 1 of the plugin left them (access key, schema version and sender
	 * state not autoloaded, the store known only from the last connection test), when the plugin
	 * loads and sees the old schema version, then those three options are autoloaded (no query of
	 * their own on any request) and the connected store is remembered.
	 */
	public function test_the_upgrade_autoloads_the_options_read_on_every_request() {
		// given
		update_option( Revisit_Settings::OPTION_SENDER, array( 'failures' => 0 ), false );
		update_option( Revisit_Settings::OPTION_DB_VERSION, '1', false );
		update_option(
			Revisit_Settings::OPTION_CONNECTION,
			array(
				'ok'    => true,
				'store' => array( 'id' => 'tenant-1' ),
			),
			false
		);
		delete_option( Revisit_Settings::OPTION_STORE );
		foreach ( array( Revisit_Settings::OPTION_KEY, Revisit_Settings::OPTION_DB_VERSION, Revisit_Settings::OPTION_SENDER ) as $option ) {
			$this->assertNotContains( $this->autoload_of( $option ), array( 'yes', 'on' ), "{$option} starts without autoload." );
		}

		// when
		Revisit_Plugin::maybe_upgrade();

		// then
		foreach ( array( Revisit_Settings::OPTION_KEY, Revisit_Settings::OPTION_DB_VERSION, Revisit_Settings::OPTION_SENDER ) as $option ) {
			$this->assertContains( $this->autoload_of( $option ), array( 'yes', 'on' ), "{$option} is autoloaded." );
		}
		$this->assertSame( REVISIT_WC_DB_VERSION, get_option( Revisit_Settings::OPTION_DB_VERSION ) );
		$this->assertSame( REVISIT_TEST_KEY, Revisit_Settings::access_key() );
		$this->assertSame( 'tenant-1', Revisit_Settings::store_id() );
	}

	/**
	 * An option's autoload column.
	 *
	 * @param string $option Option.
	 * @return string
	 */
	private function autoload_of( $option ) {
		global $wpdb;
		return (string) $wpdb->get_var( $wpdb->prepare( "SELECT autoload FROM {$wpdb->options} WHERE option_name = %s", $option ) );
	}

	/**
	 * Whether a send will run: Action Scheduler's one-minute tick (which runs the sender when rows
	 * are due) or the sender's own WP-Cron wake-up.
	 *
	 * @return bool
	 */
	private function send_is_scheduled() {
		if ( $this->plugin->scheduler->uses_action_scheduler() && false !== wp_next_scheduled( Revisit_Sender::TICK, Revisit_Sender::TICK_ARGS ) ) {
			return true;
		}
		return false !== wp_next_scheduled( Revisit_Sender::HOOK );
	}

	/**
	 * A simple product in a category, saved through WooCommerce.
	 *
	 * @return WC_Product_Simple
	 */
	private function cost_product() {
		$term    = wp_insert_term( 'Tea ' . wp_generate_password( 6, false ), 'product_cat' );
		$product = new WC_Product_Simple();
		$product->set_name( 'چای ماسالا' );
		$product->set_sku( 'TEA-' . wp_generate_password( 6, false ) );
		$product->set_regular_price( '600000' );
		$product->set_category_ids( array( (int) $term['term_id'] ) );
		$product->save();
		return $product;
	}

	/**
	 * A processing order of two items, its events queued and delivered (an earlier request).
	 *
	 * @param WC_Product $product Product.
	 * @param int        $user_id Customer, or 0 for a guest.
	 * @return int Order id.
	 */
	private function cost_order( $product, $user_id ) {
		$order = wc_create_order( array( 'customer_id' => $user_id ) );
		$order->add_product( $product, 2 );
		$order->set_billing_first_name( 'سارا' );
		$order->set_billing_last_name( 'احمدی' );
		$order->set_billing_email( 'sara@example.com' );
		$order->set_billing_phone( '09121234567' );
		$order->set_billing_city( 'تهران' );
		$order->calculate_totals();
		$order->set_status( 'processing' );
		$order->save();
		$this->end_request();
		$this->plugin->sender->run();
		return $order->get_id();
	}

	/**
	 * Start what a new request starts with: empty caches, options loaded by WordPress, no table
	 * metadata in wpdb, no wake-up scheduled yet (the worst case: this request must schedule one).
	 */
	private function prepare_fresh_request() {
		global $wpdb;
		Revisit_Plugin::install(); // As the upgrade does: the options read on every request are autoloaded.
		wp_clear_scheduled_hook( Revisit_Sender::HOOK );
		$this->plugin->events->reset_nudge();
		wp_cache_flush();
		wp_load_alloptions();
		foreach ( array( 'table_charset', 'col_meta' ) as $property ) {
			$reflection = new ReflectionProperty( $wpdb, $property );
			$reflection->setAccessible( true );
			$reflection->setValue( $wpdb, array() );
		}
		$this->assertFalse( wp_next_scheduled( Revisit_Sender::HOOK ) );
	}

	/**
	 * Change the order's status and end the request, counting queries.
	 *
	 * @param WC_Order $order   Order.
	 * @param bool     $without Run with the plugin's hooks removed.
	 * @return array{total:int,ours:string[],seconds:float,flush_seconds:float}
	 */
	private function change_status( $order, $without ) {
		global $wpdb;
		if ( $without ) {
			$this->detach_plugin();
		}
		$this->seen = array();
		add_filter( 'query', array( $this, 'record_query' ) );
		$before = $wpdb->num_queries;
		$start  = microtime( true );
		$order->update_status( 'completed' );
		$flush = microtime( true );
		if ( ! $without ) {
			// The plugin's end-of-request work (on `shutdown`).
			$this->plugin->credit->release_unfinished();
			$this->plugin->tracker->flush();
		}
		$flush = microtime( true ) - $flush;
		$seconds = microtime( true ) - $start;
		$total   = $wpdb->num_queries - $before;
		remove_filter( 'query', array( $this, 'record_query' ) );
		$this->attach_plugin();
		$ours = array();
		foreach ( $this->seen as $query ) {
			if ( $query[1] ) {
				$ours[] = trim( preg_replace( '/\s+/', ' ', $query[0] ) );
			}
		}
		return array(
			'total'         => $total,
			'ours'          => $ours,
			'seconds'       => $seconds,
			'flush_seconds' => $flush,
		);
	}

	/**
	 * The median of some numbers.
	 *
	 * @param float[] $values Values.
	 * @return float
	 */
	private static function median( array $values ) {
		sort( $values );
		return (float) $values[ (int) floor( count( $values ) / 2 ) ];
	}

	/**
	 * `query` filter: note each query and whether the plugin's code asked for it (a Revisit_ frame
	 * on the call stack: a hook callback of the plugin, or its end-of-request flush).
	 *
	 * @param string $sql Query.
	 * @return string
	 */
	public function record_query( $sql ) {
		$ours = false;
		foreach ( debug_backtrace( DEBUG_BACKTRACE_IGNORE_ARGS ) as $frame ) { // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_debug_backtrace
			if ( isset( $frame['class'] ) && 0 === strpos( $frame['class'], 'Revisit_' ) && 'Revisit_TestCase' !== $frame['class'] ) {
				$ours = true;
				break;
			}
		}
		$this->seen[] = array( $sql, $ours );
		return $sql;
	}

	/**
	 * Take every callback of the plugin off every hook.
	 */
	private function detach_plugin() {
		global $wp_filter;
		foreach ( $wp_filter as $hook => $wp_hook ) {
			foreach ( $wp_hook->callbacks as $priority => $callbacks ) {
				foreach ( $callbacks as $callback ) {
					$function = $callback['function'];
					if ( is_array( $function ) && is_object( $function[0] ) && 0 === strpos( get_class( $function[0] ), 'Revisit_' ) && ! $function[0] instanceof Revisit_TestCase ) {
						remove_filter( $hook, $function, $priority );
						$this->detached[] = array( $hook, $function, $priority, $callback['accepted_args'] );
					}
				}
			}
		}
		$this->assertNotEmpty( $this->detached, 'The plugin had hooks to remove.' );
	}

	/**
	 * Put the plugin's callbacks back.
	 */
	private function attach_plugin() {
		foreach ( $this->detached as $hook ) {
			add_filter( $hook[0], $hook[1], $hook[2], $hook[3] );
		}
		$this->detached = array();
	}

	/**
	 * The newest queued event of an order.
	 *
	 * @param int $order_id Order id.
	 * @return array
	 */
	private function latest_event_of( $order_id ) {
		$found = null;
		foreach ( $this->queued() as $event ) {
			if ( isset( $event['data']['external_id'] ) && (string) $order_id === $event['data']['external_id'] ) {
				$found = $event;
			}
		}
		$this->assertNotNull( $found, 'An event was queued for the order.' );
		return $found;
	}
}
