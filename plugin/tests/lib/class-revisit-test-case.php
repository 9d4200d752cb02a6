<?php
/**
 * Base class for the plugin's tests: a clean queue, store and local Revisit before every test.
 *
 * @package Revisit\WooCommerce\Tests
 */

use PHPUnit\Framework\TestCase;

/**
 * wp_die() as an exception.
 */
class Revisit_Test_Die extends RuntimeException {

	/**
	 * Status code passed to wp_die().
	 *
	 * @var int
	 */
	public $status = 0;

	/**
	 * The wp_die handler.
	 *
	 * @param string|WP_Error $message Message.
	 * @param string          $title   Title.
	 * @param array           $args    Args.
	 * @throws Revisit_Test_Die Always.
	 */
	public static function handler( $message, $title = '', $args = array() ) {
		$exception         = new self( is_wp_error( $message ) ? $message->get_error_message() : (string) $message );
		$exception->status = isset( $args['response'] ) ? (int) $args['response'] : 500;
		throw $exception;
	}
}

/**
 * Shared setup and helpers.
 */
abstract class Revisit_TestCase extends TestCase {

	/**
	 * Filters and actions added by the test, removed afterwards.
	 *
	 * @var array
	 */
	private $added_hooks = array();

	/**
	 * The local Revisit.
	 *
	 * @var Revisit_Test_Server
	 */
	protected $server;

	/**
	 * The plugin.
	 *
	 * @var Revisit_Plugin
	 */
	protected $plugin;

	/**
	 * Clean slate.
	 */
	protected function setUp(): void {
		parent::setUp();
		global $wpdb;
		$this->server = Revisit_Test_Server::current();
		$this->plugin = Revisit_Plugin::instance();
		$this->server->reset();
		$this->reset_object( $this->plugin->tracker, array( 'orders', 'users', 'refunds', 'payments' ), array() );
		$this->reset_object( $this->plugin->credit, array( 'quotes', 'held_now', 'succeeded' ), array() );
		$this->reset_object( $this->plugin->coupons, array( 'checks' ), array() );
		$this->plugin->events->reset_nudge();
		if ( ! Revisit_Queue::exists() ) {
			Revisit_Plugin::install();
		}
		$wpdb->query( 'TRUNCATE TABLE ' . Revisit_Queue::table() ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		foreach ( Revisit_Settings::all_options() as $option ) {
			delete_option( $option );
		}
		delete_transient( 'revisit_pruned' );
		wp_cache_flush(); // One PHP process plays many requests: start each test from the database.
		update_option( Revisit_Settings::OPTION_DB_VERSION, REVISIT_WC_DB_VERSION, false );
		update_option( Revisit_Settings::OPTION_KEY, REVISIT_TEST_KEY, false );
		WC_Stand_In::reset();
		wp_set_current_user( 0 );
		$_POST    = array();
		$_GET     = array();
		$_REQUEST = array();
	}

	/**
	 * Remove the test's hooks.
	 */
	protected function tearDown(): void {
		foreach ( $this->added_hooks as $hook ) {
			remove_filter( $hook[0], $hook[1], $hook[2] );
		}
		$this->added_hooks = array();
		wp_set_current_user( 0 );
		parent::tearDown();
	}

	/**
	 * Set private properties of an object (the plugin keeps per-request state).
	 *
	 * @param object $object Object.
	 * @param array  $props  Property names.
	 * @param mixed  $value  Value.
	 */
	protected function reset_object( $object, array $props, $value ) {
		$reflection = new ReflectionObject( $object );
		foreach ( $props as $prop ) {
			$property = $reflection->getProperty( $prop );
			$property->setAccessible( true );
			$property->setValue( $object, $value );
		}
	}

	/**
	 * add_filter() for this test only.
	 *
	 * @param string   $hook     Hook.
	 * @param callable $callback Callback.
	 * @param int      $priority Priority.
	 * @param int      $args     Accepted args.
	 */
	protected function filter( $hook, $callback, $priority = 10, $args = 1 ) {
		add_filter( $hook, $callback, $priority, $args );
		$this->added_hooks[] = array( $hook, $callback, $priority );
	}

	/**
	 * End of request: the tracker queues what changed (as on `shutdown`).
	 */
	protected function end_request() {
		$this->plugin->tracker->flush();
		$this->plugin->events->reset_nudge();
	}

	/**
	 * Run the background sender once (as Action Scheduler would).
	 *
	 * @return array Summary.
	 */
	protected function run_sender() {
		return $this->plugin->sender->run();
	}

	/**
	 * Run what Action Scheduler has due (the real path of background work in WooCommerce).
	 *
	 * @return int Actions run.
	 */
	protected function run_actions() {
		return ActionScheduler_StandIn::run_due();
	}

	/**
	 * Run a due WP-Cron event as wp-cron.php does: unschedule it, then fire it.
	 *
	 * @param string $hook Hook.
	 * @return bool Whether it ran.
	 */
	protected function run_cron( $hook ) {
		foreach ( _get_cron_array() as $timestamp => $hooks ) {
			if ( $timestamp > time() || empty( $hooks[ $hook ] ) ) {
				continue;
			}
			foreach ( $hooks[ $hook ] as $event ) {
				wp_unschedule_event( $timestamp, $hook, $event['args'] );
				do_action_ref_array( $hook, $event['args'] );
				return true;
			}
		}
		return false;
	}

	/**
	 * Pretend the backoff delay has passed.
	 */
	protected function time_passes() {
		global $wpdb;
		$state = Revisit_Sender::state();
		$state['next_attempt_at'] = 0;
		update_option( Revisit_Settings::OPTION_SENDER, $state, false );
		$wpdb->query( $wpdb->prepare( 'UPDATE ' . Revisit_Queue::table() . ' SET next_attempt_at = %s WHERE status = %s', gmdate( 'Y-m-d H:i:s', time() - 1 ), 'pending' ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
	}

	/**
	 * Queue rows.
	 *
	 * @param string|null $status Only this status.
	 * @return object[]
	 */
	protected function rows( $status = null ) {
		global $wpdb;
		$table = Revisit_Queue::table();
		if ( null === $status ) {
			return $wpdb->get_results( "SELECT * FROM {$table} ORDER BY id" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		return $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$table} WHERE status = %s ORDER BY id", $status ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Queued events (decoded), optionally of one type.
	 *
	 * @param string|null $type Type.
	 * @return array[]
	 */
	protected function queued( $type = null ) {
		$events = array();
		foreach ( $this->rows() as $row ) {
			if ( null === $type || $row->type === $type ) {
				$events[] = json_decode( $row->payload, true );
			}
		}
		return $events;
	}

	/**
	 * Events the local Revisit stored, by id.
	 *
	 * @return array
	 */
	protected function received() {
		$state = $this->server->state();
		return isset( $state['events'] ) ? $state['events'] : array();
	}

	/**
	 * Requests the local Revisit saw to a path.
	 *
	 * @param string|null $path Path.
	 * @return array
	 */
	protected function requests( $path = null ) {
		$state = $this->server->state();
		return array_values(
			array_filter(
				isset( $state['requests'] ) ? $state['requests'] : array(),
				static function ( $request ) use ( $path ) {
					return null === $path || $request['path'] === $path;
				}
			)
		);
	}

	/**
	 * A product.
	 *
	 * @param array $props Props.
	 * @return WC_Product
	 */
	protected function product( array $props = array() ) {
		return WC_Product::create(
			array_merge(
				array(
					'name'         => 'چای ماسالا',
					'sku'          => 'TEA-500',
					'price'        => '600000',
					'category_ids' => array( 12 ),
				),
				$props
			)
		);
	}

	/**
	 * An order saved through the CRUD API (fires woocommerce_new_order).
	 *
	 * @param array $args customer_id, status, billing_phone, quantity, price, coupon, credit, shipping.
	 * @return WC_Order
	 */
	protected function order( array $args = array() ) {
		$args    = array_merge(
			array(
				'customer_id'   => 0,
				'status'        => 'pending',
				'billing_phone' => '09121234567',
				'billing_email' => 'sara@example.com',
				'quantity'      => 2,
				'price'         => 600000,
				'shipping'      => 50000,
				'discount'      => 0,
			),
			$args
		);
		$product = $this->product( array( 'price' => (string) $args['price'] ) );
		$order   = new WC_Order();
		$order->set_customer_id( $args['customer_id'] );
		$order->set_billing_first_name( 'سارا' );
		$order->set_billing_last_name( 'احمدی' );
		$order->set_billing_phone( $args['billing_phone'] );
		$order->set_billing_email( $args['billing_email'] );
		$order->set_billing_city( 'تهران' );
		$order->set_payment_method( 'zarinpal' );
		$line = $args['price'] * $args['quantity'];
		$item = new WC_Order_Item_Product();
		$item->set_props(
			array(
				'name'       => $product->get_name(),
				'product_id' => $product->get_id(),
				'quantity'   => $args['quantity'],
				'subtotal'   => $line,
				'total'      => $line - $args['discount'],
			)
		);
		$order->add_item( $item );
		$order->set_shipping_total( $args['shipping'] );
		$order->calculate_totals( false );
		if ( 'pending' !== $args['status'] ) {
			$order->set_status( $args['status'] );
		}
		$order->save();
		return $order;
	}

	/**
	 * A customer account (role customer), created through WordPress.
	 *
	 * @param array $meta User meta to set after creating the account.
	 * @param array $user User fields.
	 * @return int User id.
	 */
	protected function customer( array $meta = array(), array $user = array() ) {
		$login   = 'c' . wp_generate_password( 10, false );
		$user_id = wp_insert_user(
			array_merge(
				array(
					'user_login' => $login,
					'user_pass'  => wp_generate_password(),
					'user_email' => $login . '@example.com',
					'first_name' => 'سارا',
					'last_name'  => 'احمدی',
					'role'       => 'customer',
				),
				$user
			)
		);
		$this->assertIsInt( $user_id );
		foreach ( $meta as $key => $value ) {
			update_user_meta( $user_id, $key, $value );
		}
		return $user_id;
	}
}
