<?php
/**
 * Base class for the plugin's tests: a clean queue, store and local Revisit before every test, and
 * helpers that build the store through real WooCommerce (CRUD objects, the checkout, Action Scheduler).
 *
 * @package Revisit\WooCommerce\Tests
 */

use PHPUnit\Framework\TestCase;

/**
 * wp_die() as a throwable that ends the "request" like wp_die() does: an Error, not an Exception,
 * so WooCommerce's own `catch ( Exception $e )` blocks (the checkout has them) do not swallow it.
 */
class Revisit_Test_Die extends Error {

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
		$this->tolerate_woocommerce_dynamic_properties();
		global $wpdb;
		$this->server = Revisit_Test_Server::current();
		$this->plugin = Revisit_Plugin::instance();
		$this->empty_store();
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
		wp_set_current_user( 0 );
		$_POST    = array();
		$_GET     = array();
		$_REQUEST = array();
		$this->shop_as( 0 );
	}

	/**
	 * PHPUnit turns every deprecation into a failure, and the plugin's own must stay so. WooCommerce
	 * 9.4.3 itself still sets a few undeclared properties on its objects (the checkout's
	 * `$item->legacy_fee` on a fee line, for one), which PHP 8.2 reports as deprecated: those alone,
	 * raised in WooCommerce's own files, are let through (and counted in
	 * $GLOBALS['revisit_tolerated_deprecations']). Everything else goes to PHPUnit's handler.
	 */
	private function tolerate_woocommerce_dynamic_properties() {
		$woocommerce = wp_normalize_path( (string) realpath( WC_ABSPATH ) ) . '/';
		$previous    = null;
		$previous    = set_error_handler(
			static function ( $level, $message, $file = '', $line = 0 ) use ( &$previous, $woocommerce ) {
				$file = wp_normalize_path( (string) realpath( $file ) );
				if ( E_DEPRECATED === $level && 0 === strpos( $file, $woocommerce ) && 0 === strpos( $message, 'Creation of dynamic property ' ) ) {
					$GLOBALS['revisit_tolerated_deprecations'][ $message ] = true;
					return true;
				}
				return $previous ? call_user_func( $previous, $level, $message, $file, $line ) : false;
			}
		);
	}

	/**
	 * Start each test from an empty store: no orders, refunds, products or coupons, nothing the
	 * plugin scheduled in Action Scheduler, no shopper sessions. Deleted through WooCommerce's CRUD
	 * API, whichever order storage is in use. Accounts stay (tests count the customers they see).
	 */
	protected function empty_store() {
		global $wpdb;
		$hpos   = Automattic\WooCommerce\Utilities\OrderUtil::custom_orders_table_usage_is_enabled();
		$orders = $hpos
			? $wpdb->get_col( "SELECT id FROM {$wpdb->prefix}wc_orders ORDER BY type = 'shop_order', id" )
			: $wpdb->get_col( "SELECT ID FROM {$wpdb->posts} WHERE post_type IN ('shop_order_refund', 'shop_order') ORDER BY post_type = 'shop_order', ID" );
		foreach ( $orders as $order_id ) {
			$order = wc_get_order( (int) $order_id );
			if ( $order ) {
				$order->delete( true );
			}
		}
		foreach ( $wpdb->get_col( "SELECT ID FROM {$wpdb->posts} WHERE post_type IN ('product_variation', 'product', 'shop_coupon') ORDER BY post_type = 'product', ID" ) as $post_id ) {
			$product = wc_get_product( (int) $post_id );
			if ( $product ) {
				$product->delete( true );
			} else {
				wp_delete_post( (int) $post_id, true );
			}
		}
		// What the plugin scheduled (its group), as if it had never run; WooCommerce's own actions stay.
		$group = $wpdb->get_var( $wpdb->prepare( "SELECT group_id FROM {$wpdb->prefix}actionscheduler_groups WHERE slug = %s", Revisit_Scheduler::GROUP ) );
		if ( $group ) {
			$wpdb->query( $wpdb->prepare( "DELETE l FROM {$wpdb->prefix}actionscheduler_logs l JOIN {$wpdb->prefix}actionscheduler_actions a ON a.action_id = l.action_id WHERE a.group_id = %d", $group ) );
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}actionscheduler_actions WHERE group_id = %d", $group ) );
		}
		$wpdb->query( "DELETE FROM {$wpdb->prefix}woocommerce_sessions" );
		wp_cache_flush();
	}

	/**
	 * A new visit to the shop by this user (0: a guest): WooCommerce's session starts over (its data
	 * and the cart emptied), and the customer is this user, as on the first page load of a visit. The
	 * session, customer and cart objects WooCommerce made at load stay the ones in use (as in a
	 * request: one of each, hooked once).
	 *
	 * @param int $user_id User.
	 */
	protected function shop_as( $user_id ) {
		wp_set_current_user( $user_id );
		$wc = WC();
		if ( ! $wc->session || ! $wc->cart ) {
			wc_load_cart();
		}
		$wc->session->destroy_session(); // Also empties the cart; the session's id is now this user's.
		remove_action( 'shutdown', array( $wc->customer, 'save' ), 10 );
		$wc->customer = new WC_Customer( get_current_user_id(), true );
		add_action( 'shutdown', array( $wc->customer, 'save' ), 10 );
		wc_clear_notices();
	}

	/**
	 * One AJAX request of WooCommerce's classic checkout page, run for real (WC_AJAX's handler with
	 * the form in $_POST and a valid nonce): what the browser would get back, decoded.
	 *
	 * @param callable $handler The WooCommerce handler.
	 * @param array    $post    The request's form fields.
	 * @return array The JSON answer.
	 */
	private function ajax( $handler, array $post ) {
		$_POST    = $post;
		$_REQUEST = $post;
		$this->filter( 'wp_doing_ajax', '__return_true' );
		ob_start();
		try {
			call_user_func( $handler );
			$this->fail( 'The handler did not answer.' );
		} catch ( Revisit_Test_Die $answer ) {
			unset( $answer ); // wp_send_json() ends the request with wp_die(): the answer is printed.
		} finally {
			$output = (string) ob_get_clean();
			remove_filter( 'wp_doing_ajax', '__return_true' );
			$_POST    = array();
			$_REQUEST = array();
		}
		$decoded = json_decode( $output, true );
		$this->assertIsArray( $decoded, 'Not a JSON answer: ' . substr( $output, 0, 500 ) );
		return $decoded;
	}

	/**
	 * The checkout page's refresh after a field changed (`?wc-ajax=update_order_review`): the form as
	 * jQuery serialises it goes in post_data; WooCommerce recalculates the cart and answers with the
	 * page's fragments.
	 *
	 * @param array $form Checkout form fields.
	 * @return array The answer (result, fragments, …).
	 */
	protected function update_order_review( array $form ) {
		return $this->ajax(
			array( 'WC_AJAX', 'update_order_review' ),
			array(
				'security'       => wp_create_nonce( 'update-order-review' ),
				'payment_method' => isset( $form['payment_method'] ) ? $form['payment_method'] : 'bank',
				'country'        => 'IR',
				'state'          => 'THR',
				'postcode'       => '1415913311',
				'city'           => 'تهران',
				'address'        => 'خیابان ولیعصر',
				'has_full_address' => 'true',
				'post_data'      => http_build_query( $form ),
			)
		);
	}

	/**
	 * "Place order" on the classic checkout page (`?wc-ajax=checkout`): WC_Checkout::process_checkout()
	 * validates the form, creates the order and calls the chosen gateway.
	 *
	 * @param array $fields Checkout form fields (added to a complete Tehran billing address).
	 * @return array The answer: result success (redirect) or failure (messages, refresh, reload).
	 */
	protected function place_checkout( array $fields ) {
		$form = array_merge(
			array(
				'billing_first_name' => 'سارا',
				'billing_last_name'  => 'احمدی',
				'billing_country'    => 'IR',
				'billing_state'      => 'THR',
				'billing_city'       => 'تهران',
				'billing_address_1'  => 'خیابان ولیعصر، پلاک ۱۲',
				'billing_postcode'   => '1415913311',
				'billing_phone'      => '09121234567',
				'billing_email'      => 'sara@example.com',
				'payment_method'     => 'bank',
			),
			$fields
		);
		$form['woocommerce-process-checkout-nonce'] = wp_create_nonce( 'woocommerce-process_checkout' );
		return $this->ajax( array( 'WC_AJAX', 'checkout' ), $form );
	}

	/**
	 * Remove the test's hooks.
	 */
	protected function tearDown(): void {
		restore_error_handler();
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
	 * Background work, as a store runs it.
	 *
	 * Now (no time given): WP-Cron's `action_scheduler_run_queue` event fires, as wp-cron.php fires it
	 * every minute on a real store: Action Scheduler's queue runner claims and runs every due action
	 * (WooCommerce's own too), and whatever else listens to that event runs after it.
	 *
	 * At a later time: there is no waiting in a test, so the plugin's actions due by then (its group)
	 * run oldest first through Action Scheduler's runner (process_action(): marked running, hook
	 * fired, outcome logged), as the queue runner would run them at that time.
	 *
	 * @param int|null $now As if at this time (default: now).
	 * @return int The plugin's actions that ran.
	 */
	protected function run_actions( $now = null ) {
		$due = as_get_scheduled_actions(
			array(
				'group'        => Revisit_Scheduler::GROUP,
				'status'       => ActionScheduler_Store::STATUS_PENDING,
				'date'         => gmdate( 'Y-m-d H:i:s', null === $now ? time() : (int) $now ),
				'date_compare' => '<=',
				'orderby'      => 'date',
				'order'        => 'ASC',
				'per_page'     => -1,
			),
			'ids'
		);
		if ( null === $now ) {
			do_action( 'action_scheduler_run_queue', 'WP Cron' );
		} else {
			foreach ( $due as $id ) {
				ActionScheduler::runner()->process_action( (int) $id, 'Revisit tests' );
			}
		}
		$ran = 0;
		foreach ( $due as $id ) {
			$ran += ActionScheduler_Store::STATUS_PENDING === ActionScheduler::store()->get_status( $id ) ? 0 : 1;
		}
		return $ran;
	}

	/**
	 * The plugin's actions in Action Scheduler with this status, oldest first.
	 *
	 * @param string|null $hook   Only this hook.
	 * @param string|null $status pending, complete, canceled, failed, in-progress; null: any.
	 * @return array[] Each: hook, args, group, timestamp (when it is due), interval (recurring
	 *                 actions; else null), status.
	 */
	protected function actions( $hook = null, $status = ActionScheduler_Store::STATUS_PENDING ) {
		$query = array(
			'group'    => Revisit_Scheduler::GROUP,
			'orderby'  => 'date',
			'order'    => 'ASC',
			'per_page' => -1,
		);
		if ( null !== $status ) {
			$query['status'] = $status;
		}
		if ( null !== $hook ) {
			$query['hook'] = $hook;
		}
		$actions = array();
		foreach ( as_get_scheduled_actions( $query, 'ids' ) as $id ) {
			$action    = ActionScheduler::store()->fetch_action( $id );
			$schedule  = $action->get_schedule();
			$date      = $schedule->get_date();
			$actions[] = array(
				'hook'      => $action->get_hook(),
				'args'      => $action->get_args(),
				'group'     => $action->get_group(),
				'timestamp' => $date ? $date->getTimestamp() : null,
				'interval'  => $schedule instanceof ActionScheduler_IntervalSchedule ? (int) $schedule->get_recurrence() : null,
				'status'    => ActionScheduler::store()->get_status( $id ),
			);
		}
		return $actions;
	}

	/**
	 * The notes on an order, as WooCommerce stores them (comments), oldest first.
	 *
	 * @param int $order_id Order.
	 * @return string[]
	 */
	protected function order_notes( $order_id ) {
		$notes = wc_get_order_notes(
			array(
				'order_id' => $order_id,
				'order'    => 'ASC',
				'orderby'  => 'comment_ID',
			)
		);
		return array_map(
			static function ( $note ) {
				return $note->content;
			},
			$notes
		);
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
		update_option( Revisit_Settings::OPTION_SENDER, $state );
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
	 * The store's product category «چای» (made once), as its term id.
	 *
	 * @return int
	 */
	protected function category() {
		$term = term_exists( 'چای', 'product_cat' );
		if ( ! $term ) {
			$term = wp_insert_term( 'چای', 'product_cat' );
		}
		return (int) $term['term_id'];
	}

	/**
	 * A simple product, saved through WooCommerce's CRUD API (the one with this SKU, updated, when
	 * there is one: WooCommerce keeps SKUs unique).
	 *
	 * @param array $props name, sku, price, category_ids, virtual.
	 * @return WC_Product
	 */
	protected function product( array $props = array() ) {
		$props   = array_merge(
			array(
				'name'         => 'چای ماسالا',
				'sku'          => 'TEA-500',
				'price'        => '600000',
				'category_ids' => array( $this->category() ),
				'virtual'      => false,
			),
			$props
		);
		$id      = wc_get_product_id_by_sku( $props['sku'] );
		$product = $id ? wc_get_product( $id ) : new WC_Product_Simple();
		$product->set_name( $props['name'] );
		$product->set_sku( $props['sku'] );
		$product->set_regular_price( (string) $props['price'] );
		$product->set_category_ids( $props['category_ids'] );
		$product->set_virtual( (bool) $props['virtual'] );
		$product->set_status( 'publish' );
		$product->save();
		return $product;
	}

	/**
	 * An order saved through the CRUD API (fires woocommerce_new_order): one product line, a
	 * shipping line, totals calculated by WooCommerce.
	 *
	 * @param array $args customer_id, status, billing_phone, billing_email, quantity, price, discount
	 *                    (taken off the line), shipping, payment_method.
	 * @return WC_Order
	 */
	protected function order( array $args = array() ) {
		$args    = array_merge(
			array(
				'customer_id'    => 0,
				'status'         => 'pending',
				'billing_phone'  => '09121234567',
				'billing_email'  => 'sara@example.com',
				'quantity'       => 2,
				'price'          => 600000,
				'shipping'       => 50000,
				'discount'       => 0,
				'payment_method' => 'zarinpal',
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
		$order->set_billing_country( 'IR' );
		$order->set_payment_method( $args['payment_method'] );
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
		if ( $args['shipping'] ) {
			$shipping = new WC_Order_Item_Shipping();
			$shipping->set_method_title( 'پست پیشتاز' );
			$shipping->set_method_id( 'flat_rate' );
			$shipping->set_total( $args['shipping'] );
			$order->add_item( $shipping );
		}
		$order->calculate_totals( false );
		if ( 'pending' !== $args['status'] ) {
			$order->set_status( $args['status'] );
		}
		$order->save();
		return $order;
	}

	/**
	 * An account: a customer through WooCommerce's customer CRUD (WC_Customer, as its registration
	 * and checkout make them), any other role through WordPress (wp_insert_user()).
	 *
	 * @param array $meta User meta after the account exists; billing_* keys are WooCommerce's own
	 *                    fields, set on the customer before it is saved.
	 * @param array $user User fields (user_login, user_email, first_name, last_name, role).
	 * @return int User id.
	 */
	protected function customer( array $meta = array(), array $user = array() ) {
		$login  = 'c' . wp_generate_password( 10, false );
		$fields = array_merge(
			array(
				'user_login' => $login,
				'user_pass'  => wp_generate_password(),
				'user_email' => $login . '@example.com',
				'first_name' => 'سارا',
				'last_name'  => 'احمدی',
				'role'       => 'customer',
			),
			$user
		);
		if ( 'customer' !== $fields['role'] ) {
			$user_id = wp_insert_user( $fields );
			$this->assertIsInt( $user_id );
		} else {
			$customer = new WC_Customer();
			$customer->set_username( $fields['user_login'] );
			$customer->set_password( $fields['user_pass'] );
			$customer->set_email( $fields['user_email'] );
			$customer->set_first_name( $fields['first_name'] );
			$customer->set_last_name( $fields['last_name'] );
			foreach ( $meta as $key => $value ) {
				if ( 0 === strpos( $key, 'billing_' ) && is_callable( array( $customer, 'set_' . $key ) ) ) {
					$customer->{'set_' . $key}( $value );
					unset( $meta[ $key ] );
				}
			}
			$user_id = $customer->save();
			$this->assertGreaterThan( 0, $user_id );
		}
		foreach ( $meta as $key => $value ) {
			update_user_meta( $user_id, $key, $value );
		}
		return (int) $user_id;
	}
}
