<?php
/**
 * Listens to WordPress, WooCommerce and Digits, and queues one event per real change.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Hook listeners.
 *
 * A WooCommerce request saves an order several times (created, items, meta, status, payment) and
 * Digits writes a new user's phone after `user_register`. So the hooks only note *what* changed, and
 * at the end of the same request (`shutdown`) the tracker reads the final state through the CRUD API
 * and queues one event per order and customer — a cheap local INSERT, never a network call.
 */
class Revisit_Tracker {

	/**
	 * User meta whose change is a change of the customer.
	 */
	const WATCHED_USER_META = array(
		'first_name',
		'last_name',
		'billing_phone',
		'billing_email',
		'billing_first_name',
		'billing_last_name',
		'billing_city',
		'digits_phone',
		'digt_countrycode',
		'digits_phone_no',
	);

	/**
	 * Flush early when this many objects are waiting (imports and other long processes).
	 */
	const FLUSH_THRESHOLD = 50;

	/**
	 * Event builder.
	 *
	 * @var Revisit_Events
	 */
	private $events;

	/**
	 * Orders changed in this request: id => created in this request.
	 *
	 * @var array<int,bool>
	 */
	private $orders = array();

	/**
	 * The order objects WooCommerce passed with its hooks: id => WC_Order. The flush reads these
	 * instead of loading the order again (their items and meta are usually loaded already).
	 *
	 * @var array<int,WC_Order>
	 */
	private $order_objects = array();

	/**
	 * Users changed in this request: id => created in this request.
	 *
	 * @var array<int,bool>
	 */
	private $users = array();

	/**
	 * Refunds made in this request: refund id => order id.
	 *
	 * @var array<int,int>
	 */
	private $refunds = array();

	/**
	 * Payments completed in this request: order id => transaction id.
	 *
	 * @var array<int,string>
	 */
	private $payments = array();

	/**
	 * Whether a flush is running.
	 *
	 * @var bool
	 */
	private $flushing = false;

	/**
	 * Constructor.
	 *
	 * @param Revisit_Events $events Event builder.
	 */
	public function __construct( Revisit_Events $events ) {
		$this->events = $events;
	}

	/**
	 * Attach the listeners.
	 */
	public function register() {
		add_action( 'user_register', array( $this, 'user_created' ), 20, 1 );
		add_action( 'woocommerce_created_customer', array( $this, 'user_created' ), 20, 1 );
		add_action( 'digits_user_created', array( $this, 'user_created' ), 20, 1 );
		add_action( 'profile_update', array( $this, 'user_changed' ), 20, 1 );
		add_action( 'woocommerce_customer_save_address', array( $this, 'user_changed' ), 20, 1 );
		add_action( 'added_user_meta', array( $this, 'user_meta_changed' ), 20, 3 );
		add_action( 'updated_user_meta', array( $this, 'user_meta_changed' ), 20, 3 );
		add_action( 'deleted_user_meta', array( $this, 'user_meta_changed' ), 20, 3 );

		add_action( 'woocommerce_new_order', array( $this, 'order_created' ), 20, 2 );
		add_action( 'woocommerce_update_order', array( $this, 'order_changed' ), 20, 2 );
		add_action( 'woocommerce_order_status_changed', array( $this, 'order_status_changed' ), 20, 4 );
		add_action( 'woocommerce_checkout_order_processed', array( $this, 'order_checkout_processed' ), 20, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $this, 'order_object_changed' ), 20, 1 );
		add_action( 'woocommerce_trash_order', array( $this, 'order_changed' ), 20, 1 );
		add_action( 'woocommerce_untrash_order', array( $this, 'order_changed' ), 20, 1 );
		add_action( 'woocommerce_order_refunded', array( $this, 'order_refunded' ), 20, 2 );
		add_action( 'woocommerce_payment_complete', array( $this, 'payment_completed' ), 20, 2 );

		add_action( 'shutdown', array( $this, 'flush' ), 1 );
	}

	/**
	 * Whether anything should be tracked at all (a key is set: before connecting, history is
	 * covered by the backfill).
	 *
	 * @return bool
	 */
	private function active() {
		return '' !== Revisit_Settings::access_key();
	}

	/**
	 * A user account was created (WordPress, WooCommerce or Digits).
	 *
	 * @param int $user_id User id.
	 */
	public function user_created( $user_id ) {
		$this->mark_user( (int) $user_id, true );
	}

	/**
	 * A user's profile or address changed.
	 *
	 * @param int $user_id User id.
	 */
	public function user_changed( $user_id ) {
		$this->mark_user( (int) $user_id, false );
	}

	/**
	 * A user meta value changed; only the ones in WATCHED_USER_META matter.
	 *
	 * @param int|int[] $meta_id  Meta id(s).
	 * @param int       $user_id  User id.
	 * @param string    $meta_key Meta key.
	 */
	public function user_meta_changed( $meta_id, $user_id, $meta_key ) {
		if ( in_array( $meta_key, self::WATCHED_USER_META, true ) ) {
			$this->mark_user( (int) $user_id, false );
		}
	}

	/**
	 * An order was created.
	 *
	 * @param int           $order_id Order id.
	 * @param WC_Order|null $order    The order (WooCommerce passes it since 5.x).
	 */
	public function order_created( $order_id, $order = null ) {
		$this->mark_order( (int) $order_id, true, $order );
	}

	/**
	 * An order changed.
	 *
	 * @param int           $order_id Order id.
	 * @param WC_Order|null $order    The order, when the hook passes it.
	 */
	public function order_changed( $order_id, $order = null ) {
		$this->mark_order( (int) $order_id, false, $order );
	}

	/**
	 * An order's status changed (`woocommerce_order_status_changed`).
	 *
	 * @param int           $order_id Order id.
	 * @param string        $from     Old status.
	 * @param string        $to       New status.
	 * @param WC_Order|null $order    Order.
	 */
	public function order_status_changed( $order_id, $from = '', $to = '', $order = null ) {
		$this->mark_order( (int) $order_id, false, $order );
	}

	/**
	 * The classic checkout created an order (`woocommerce_checkout_order_processed`).
	 *
	 * @param int           $order_id Order id.
	 * @param array         $posted   Posted data.
	 * @param WC_Order|null $order    Order.
	 */
	public function order_checkout_processed( $order_id, $posted = array(), $order = null ) {
		$this->mark_order( (int) $order_id, false, $order );
	}

	/**
	 * An order changed (hooks that pass the object).
	 *
	 * @param WC_Order $order Order.
	 */
	public function order_object_changed( $order ) {
		if ( is_object( $order ) && is_callable( array( $order, 'get_id' ) ) ) {
			$this->mark_order( (int) $order->get_id(), false, $order );
		}
	}

	/**
	 * A refund was made (one event per refund).
	 *
	 * @param int $order_id  Order id.
	 * @param int $refund_id Refund id.
	 */
	public function order_refunded( $order_id, $refund_id = 0 ) {
		if ( ! $this->active() ) {
			return;
		}
		$this->mark_order( (int) $order_id, false );
		if ( (int) $refund_id > 0 ) {
			$this->refunds[ (int) $refund_id ] = (int) $order_id;
		}
	}

	/**
	 * A payment was completed.
	 *
	 * @param int    $order_id       Order id.
	 * @param string $transaction_id Gateway reference.
	 */
	public function payment_completed( $order_id, $transaction_id = '' ) {
		if ( ! $this->active() ) {
			return;
		}
		$this->mark_order( (int) $order_id, false );
		$this->payments[ (int) $order_id ] = (string) $transaction_id;
	}

	/**
	 * Note a user.
	 *
	 * @param int  $user_id User id.
	 * @param bool $created Created in this request.
	 */
	private function mark_user( $user_id, $created ) {
		if ( $user_id <= 0 || ! $this->active() ) {
			return;
		}
		$this->users[ $user_id ] = ! empty( $this->users[ $user_id ] ) || $created;
		$this->maybe_flush();
	}

	/**
	 * Note an order.
	 *
	 * @param int           $order_id Order id.
	 * @param bool          $created  Created in this request.
	 * @param WC_Order|null $order    The object the hook passed, if any (the latest one is kept).
	 */
	private function mark_order( $order_id, $created, $order = null ) {
		if ( $order_id <= 0 || ! $this->active() ) {
			return;
		}
		$this->orders[ $order_id ] = ! empty( $this->orders[ $order_id ] ) || $created;
		if ( $order instanceof WC_Order && $order->get_id() === $order_id ) {
			$this->order_objects[ $order_id ] = $order;
		}
		$this->maybe_flush();
	}

	/**
	 * Flush now when much is waiting.
	 */
	private function maybe_flush() {
		if ( count( $this->orders ) + count( $this->users ) >= self::FLUSH_THRESHOLD ) {
			$this->flush();
		}
	}

	/**
	 * Whether anything waits to be queued.
	 *
	 * @return bool
	 */
	public function has_pending() {
		return (bool) ( $this->orders || $this->users || $this->refunds || $this->payments );
	}

	/**
	 * Queue what changed in this request: customers, then orders, then refunds and payments (so
	 * Revisit hears of an order before its refunds and payments).
	 */
	public function flush() {
		// A filter may change something while queueing; go round again, a few times at most.
		for ( $round = 0; $round < 3 && ! $this->flushing && $this->has_pending(); $round++ ) {
			$this->flush_once();
		}
	}

	/**
	 * One pass over what is waiting.
	 */
	private function flush_once() {
		$this->flushing      = true;
		$users               = $this->users;
		$orders              = $this->orders;
		$refunds             = $this->refunds;
		$payments            = $this->payments;
		$objects             = $this->order_objects;
		$this->users         = array();
		$this->orders        = array();
		$this->refunds       = array();
		$this->payments      = array();
		$this->order_objects = array();
		try {
			foreach ( $users as $user_id => $created ) {
				$this->events->queue_customer( $user_id, $created );
			}
			foreach ( $orders as $order_id => $created ) {
				$order = isset( $objects[ $order_id ] ) ? $objects[ $order_id ] : wc_get_order( $order_id );
				if ( $order instanceof WC_Order ) {
					$this->events->queue_order( $order, $created ? 'order.created' : 'order.updated' );
				}
			}
			foreach ( $refunds as $refund_id => $order_id ) {
				$refund = wc_get_order( $refund_id );
				if ( $refund instanceof WC_Order_Refund ) {
					$this->events->queue_refund( $refund );
				}
			}
			foreach ( $payments as $order_id => $transaction_id ) {
				$order = isset( $objects[ $order_id ] ) ? $objects[ $order_id ] : wc_get_order( $order_id );
				if ( $order instanceof WC_Order ) {
					$this->events->queue_payment( $order, $transaction_id );
				}
			}
		} catch ( Throwable $e ) {
			Revisit_Util::log( 'error', 'Queueing events failed: ' . $e->getMessage() );
		} finally {
			$this->flushing = false;
		}
	}
}
