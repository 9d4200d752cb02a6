<?php
/**
 * Connecting the shop to another Revisit store sends it the whole history; a new key of the same
 * store resends nothing.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Store switch and key rotation, through the settings page's real form handler.
 */
class Test_Store_Switch extends Revisit_TestCase {

	const KEY_B = 'rvk_storeb_secretb';

	/**
	 * The shop's orders.
	 *
	 * @var int[]
	 */
	private $order_ids = array();

	/**
	 * The shop's customer account.
	 *
	 * @var int
	 */
	private $customer_id = 0;

	/**
	 * Given for every test: a shop connected to store tenant-1 through the settings page, whose
	 * history (one customer, three orders) was sent and delivered.
	 */
	protected function setUp(): void {
		parent::setUp();
		delete_option( Revisit_Settings::OPTION_KEY );
		wp_cache_flush();
		$login             = 'switch' . wp_generate_password( 8, false );
		$this->customer_id = wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => wp_generate_password(),
				'user_email' => $login . '@example.com',
				'first_name' => 'سارا',
				'role'       => 'customer',
			)
		);
		$this->assertIsInt( $this->customer_id );
		$product = new WC_Product_Simple();
		$product->set_name( 'چای ماسالا' );
		$product->set_regular_price( '600000' );
		$product->save();
		$this->order_ids = array();
		for ( $i = 0; $i < 3; $i++ ) {
			$order = wc_create_order( array( 'customer_id' => $this->customer_id ) );
			$order->add_product( $product, 1 );
			$order->set_billing_phone( '09121234567' );
			$order->set_billing_email( $login . '@example.com' );
			$order->calculate_totals();
			$order->set_status( 'completed' );
			$order->save();
			$this->order_ids[] = $order->get_id();
		}
		$this->plugin->tracker->flush();
		wp_set_current_user( 1 ); // The site's administrator.
		$this->assertSame( 'connected', $this->save_key( REVISIT_TEST_KEY ) );
		$this->finish_backfill();
		$this->assertSame( 'tenant-1', Revisit_Settings::store_id() );
		$this->assertSame( 'done', Revisit_Backfill::state()['status'] );
		$this->assertSame( $this->order_ids, $this->sent_order_ids( REVISIT_TEST_KEY ) );
		$this->assertNotSame( '', get_user_meta( $this->customer_id, Revisit_Events::META_CUSTOMER_HASH, true ) );
		$this->assertSame( array(), $this->rows( Revisit_Queue::STATUS_PENDING ) );
	}

	/**
	 * Given the history delivered to store tenant-1, when the administrator saves a key that the
	 * connection test reports as belonging to store tenant-2, then the old store's queue, the
	 * customers' fingerprints and the backfill's progress are forgotten, a new backfill starts from
	 * the beginning, and once it ran store tenant-2 (with the new key) has every order and the
	 * customer.
	 */
	public function test_a_key_of_another_store_sends_the_whole_history_again() {
		// given
		$this->revisit_knows(
			self::KEY_B,
			array(
				'id'       => 'tenant-2',
				'name'     => 'فروشگاه دوم',
				'currency' => 'IRT',
				'timezone' => 'Asia/Tehran',
			)
		);

		// when
		$notice = $this->save_key( self::KEY_B );

		// then
		$this->assertSame( 'store_switched', $notice );
		$this->assertSame( 'tenant-2', Revisit_Settings::store_id() );
		$this->assertSame( '', get_user_meta( $this->customer_id, Revisit_Events::META_CUSTOMER_HASH, true ), 'Fingerprints forgotten.' );
		$backfill = Revisit_Backfill::state();
		$this->assertSame( 'running', $backfill['status'] );
		$this->assertSame( 'customers', $backfill['phase'] );
		$this->assertSame( 0, (int) $backfill['cursor'], 'The backfill starts from the beginning.' );
		$this->assertSame( array(), $this->rows( Revisit_Queue::STATUS_SENT ), 'The old store\'s delivered rows are gone.' );

		$this->finish_backfill();
		$this->assertSame( $this->order_ids, $this->sent_order_ids( self::KEY_B ), 'Store tenant-2 got every order.' );
		$this->assertContains( (string) $this->customer_id, $this->sent_customer_ids( self::KEY_B ), 'and the customer.' );
	}

	/**
	 * Given the history delivered to store tenant-1, when the administrator saves a new key of the
	 * same store (a rotated key), then nothing is forgotten and nothing is sent again.
	 */
	public function test_a_new_key_of_the_same_store_resends_nothing() {
		// given
		$this->revisit_knows( 'rvk_rotated_secret2' ); // Same store, tenant-1.
		$delivered = count( $this->rows( Revisit_Queue::STATUS_SENT ) );
		$hash      = get_user_meta( $this->customer_id, Revisit_Events::META_CUSTOMER_HASH, true );

		// when
		$notice = $this->save_key( 'rvk_rotated_secret2' );
		$this->finish_backfill();

		// then
		$this->assertSame( 'connected', $notice );
		$this->assertSame( 'tenant-1', Revisit_Settings::store_id() );
		$this->assertCount( $delivered, $this->rows( Revisit_Queue::STATUS_SENT ), 'The queue is kept.' );
		$this->assertSame( $hash, get_user_meta( $this->customer_id, Revisit_Events::META_CUSTOMER_HASH, true ) );
		$this->assertSame( 'done', Revisit_Backfill::state()['status'], 'No new backfill.' );
		$this->assertSame( array(), $this->sent_order_ids( 'rvk_rotated_secret2' ), 'Nothing was sent again.' );
	}

	/**
	 * Given the history delivered to store tenant-1, when the administrator saves a key that
	 * Revisit refuses, then nothing of the shop's delivery state is forgotten (the store is unknown).
	 */
	public function test_a_refused_key_forgets_nothing() {
		// given
		$delivered = count( $this->rows( Revisit_Queue::STATUS_SENT ) );

		// when
		$notice = $this->save_key( 'rvk_wrong_wrongsecret' );

		// then
		$this->assertSame( 'key_refused', $notice );
		$this->assertSame( 'tenant-1', Revisit_Settings::store_id() );
		$this->assertCount( $delivered, $this->rows( Revisit_Queue::STATUS_SENT ) );
		$this->assertSame( 'done', Revisit_Backfill::state()['status'] );
	}

	/**
	 * Given an install from before the plugin remembered its store (only the last connection test's
	 * result says tenant-1), when a key of store tenant-2 is saved, then it is still seen as a
	 * switch and the history is sent again.
	 */
	public function test_an_upgraded_install_recognises_a_switch_from_its_last_connection() {
		// given
		delete_option( Revisit_Settings::OPTION_STORE );
		$this->assertSame( 'tenant-1', Revisit_Settings::connection()['store']['id'] );
		$this->revisit_knows(
			self::KEY_B,
			array(
				'id'       => 'tenant-2',
				'name'     => 'B',
				'currency' => 'IRT',
				'timezone' => 'Asia/Tehran',
			)
		);

		// when
		$notice = $this->save_key( self::KEY_B );

		// then
		$this->assertSame( 'store_switched', $notice );
		$this->finish_backfill();
		$this->assertSame( $this->order_ids, $this->sent_order_ids( self::KEY_B ) );
	}

	/**
	 * Submit the settings form's key as the administrator (nonce and all).
	 *
	 * @param string $key Key.
	 * @return string Notice code.
	 */
	private function save_key( $key ) {
		$_POST    = array(
			'action'             => 'revisit_save',
			'revisit_access_key' => $key,
			'_wpnonce'           => wp_create_nonce( 'revisit_save' ),
		);
		$_REQUEST = $_POST;
		return $this->plugin->admin->process( 'revisit_save' );
	}

	/**
	 * Run the backfill's steps and the sender until nothing is left (what the background does).
	 */
	private function finish_backfill() {
		$guard = 0;
		while ( 'running' === Revisit_Backfill::state()['status'] && $guard++ < 500 ) {
			$this->plugin->backfill->step();
		}
		$guard = 0;
		while ( $this->rows( Revisit_Queue::STATUS_PENDING ) && $guard++ < 50 ) {
			$this->plugin->sender->run();
		}
		$this->assertSame( array(), $this->rows( Revisit_Queue::STATUS_PENDING ), 'Everything was delivered.' );
	}

	/**
	 * Ids of this test's orders that reached Revisit with a key, ascending.
	 *
	 * @param string $key Key the events were sent with.
	 * @return int[]
	 */
	private function sent_order_ids( $key ) {
		$ids = array();
		foreach ( $this->sent_events( $key ) as $event ) {
			if ( 0 === strpos( $event['type'], 'order.' ) && in_array( (int) $event['data']['external_id'], $this->order_ids, true ) ) {
				$ids[ (int) $event['data']['external_id'] ] = true;
			}
		}
		$ids = array_keys( $ids );
		sort( $ids );
		return $ids;
	}

	/**
	 * External ids of the customers that reached Revisit with a key.
	 *
	 * @param string $key Key.
	 * @return string[]
	 */
	private function sent_customer_ids( $key ) {
		$ids = array();
		foreach ( $this->sent_events( $key ) as $event ) {
			if ( 0 === strpos( $event['type'], 'customer.' ) ) {
				$ids[] = (string) $event['data']['external_id'];
			}
		}
		return $ids;
	}

	/**
	 * Every event the local Revisit received since its last reset, checking that each batch came
	 * with `$key`.
	 *
	 * @param string $key Key.
	 * @return array[]
	 */
	private function sent_events( $key ) {
		foreach ( $this->requests( '/rest/v1/events' ) as $request ) {
			$this->assertSame( 'Bearer ' . $key, $request['authorization'], 'Every batch is sent with the current key.' );
		}
		return array_values( $this->received() );
	}

	/**
	 * The local Revisit starts over (nothing received), then knows `$key` as the key of `$store`.
	 *
	 * @param string $key   Key.
	 * @param array  $store Store, as the connection check reports it.
	 */
	private function revisit_knows( $key, array $store = array() ) {
		$this->server->reset();
		$config = array( 'key' => $key );
		if ( $store ) {
			$config['store'] = $store;
		}
		$this->server->configure( $config );
	}
}
