<?php
/**
 * Events in Revisit's unified schema (version 1), built from WooCommerce's CRUD objects, and queued.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Payload builders and the single way into the queue.
 */
class Revisit_Events {

	const META_CUSTOMER_HASH = '_revisit_customer_hash';
	const META_CREDIT_USED   = '_revisit_credit_used';

	/**
	 * Statuses Revisit knows, in WooCommerce's vocabulary.
	 */
	const KNOWN_STATUSES = array( 'pending', 'processing', 'on-hold', 'completed', 'cancelled', 'refunded', 'failed' );

	/**
	 * Queue.
	 *
	 * @var Revisit_Queue
	 */
	private $queue;

	/**
	 * Sender, to wake it up after queueing.
	 *
	 * @var Revisit_Sender
	 */
	private $sender;

	/**
	 * Constructor.
	 *
	 * @param Revisit_Queue  $queue  Queue.
	 * @param Revisit_Sender $sender Sender.
	 */
	public function __construct( Revisit_Queue $queue, Revisit_Sender $sender ) {
		$this->queue  = $queue;
		$this->sender = $sender;
	}

	/**
	 * Queue an event of any type (what revisit_track() calls).
	 *
	 * @param string $type Event type, e.g. "order.updated".
	 * @param array  $data The event's data.
	 * @param array  $args Optional: `id` (stable id; a random one otherwise), `id_prefix` (id = prefix
	 *                     + fingerprint of the data), `occurred_at`, `context` (passed to filters).
	 * @return string|false The event id, or false when nothing was queued.
	 */
	public function track( $type, $data, array $args = array() ) {
		$type    = strtolower( trim( (string) $type ) );
		$context = isset( $args['context'] ) ? $args['context'] : null;
		$data    = $this->prepare( $type, $data, $context );
		if ( null === $data ) {
			return false;
		}
		return $this->enqueue( $type, $data, $args );
	}

	/**
	 * Run an event's data through the payload filters.
	 *
	 * @param string $type    Event type.
	 * @param mixed  $data    Data.
	 * @param mixed  $context The WooCommerce object the data came from, if any.
	 * @return array|null Null when the event should not be sent.
	 */
	public function prepare( $type, $data, $context = null ) {
		if ( '' === $type || ! is_array( $data ) ) {
			return null;
		}
		/**
		 * Filters the data of one type of event, e.g. `revisit_event_payload_order.created`.
		 * Return false to drop the event.
		 *
		 * @param array $data    The event's data.
		 * @param mixed $context The WooCommerce object it was built from (WC_Order, WP_User…), or null.
		 */
		$data = apply_filters( "revisit_event_payload_{$type}", $data, $context );
		/**
		 * Filters the data of every event. Return false to drop the event.
		 *
		 * @param array  $data    The event's data.
		 * @param string $type    Event type.
		 * @param mixed  $context The WooCommerce object it was built from, or null.
		 */
		$data = apply_filters( 'revisit_event_payload', $data, $type, $context );
		return ( is_array( $data ) && $data ) ? $data : null;
	}

	/**
	 * Put an already filtered event into the queue.
	 *
	 * @param string $type Event type.
	 * @param array  $data Filtered data.
	 * @param array  $args See track().
	 * @return string|false Event id.
	 */
	private function enqueue( $type, array $data, array $args ) {
		if ( ! empty( $args['id'] ) ) {
			$id = (string) $args['id'];
		} elseif ( ! empty( $args['id_prefix'] ) ) {
			$id = $args['id_prefix'] . '-' . Revisit_Util::fingerprint( $data );
		} else {
			$id = wp_generate_uuid4();
		}
		if ( strlen( $id ) > 128 ) {
			$id = substr( $id, 0, 95 ) . '-' . md5( $id );
		}
		$occurred = Revisit_Util::iso( isset( $args['occurred_at'] ) ? $args['occurred_at'] : null );
		$envelope = array(
			'id'             => $id,
			'type'           => $type,
			'occurred_at'    => null === $occurred ? Revisit_Util::iso( time() ) : $occurred,
			'schema_version' => 1,
			'data'           => $data,
		);
		if ( ! $this->queue->add( $id, $type, $envelope ) ) {
			return $id; // Already queued: same id, same event.
		}
		/**
		 * Fires after an event was added to the queue (it is sent in the background).
		 *
		 * @param string $id       Event id.
		 * @param string $type     Event type.
		 * @param array  $envelope The event as it will be sent.
		 */
		do_action( 'revisit_event_queued', $id, $type, $envelope );
		// Cheap after the first event of a request: the sender remembers it woke up already.
		$this->sender->wake();
		return $id;
	}

	/**
	 * Allow the next queued event to wake the sender again (long-running processes, tests that play
	 * several requests in one process).
	 */
	public function reset_nudge() {
		$this->sender->reset_wake();
	}

	/*
	|--------------------------------------------------------------------------
	| Orders
	|--------------------------------------------------------------------------
	*/

	/**
	 * Queue an order's current state.
	 *
	 * @param WC_Order $order Order.
	 * @param string   $type  order.created or order.updated.
	 * @return string|false Event id.
	 */
	public function queue_order( $order, $type = 'order.updated' ) {
		$data = $this->order_data( $order );
		if ( null === $data ) {
			return false;
		}
		$stamp = $this->modified_stamp( $order );
		return $this->track(
			$type,
			$data,
			array(
				'id_prefix'   => sprintf( 'order-%d-%s-%d', $order->get_id(), sanitize_key( $order->get_status() ), $stamp ),
				'occurred_at' => $stamp,
				'context'     => $order,
			)
		);
	}

	/**
	 * When the order was last saved, as WooCommerce stores it (part of the event id, so the same
	 * state queued live and again by a backfill is one event).
	 *
	 * With HPOS the object that was saved carries its new date. With posts storage WooCommerce writes
	 * `post_modified` without updating the object's date (unless the date itself changed), so the
	 * object a hook passed may be a second behind: the post's own date is read instead (from the
	 * post cache when it is loaded).
	 *
	 * @param WC_Order $order Order.
	 * @return int Unix time.
	 */
	private function modified_stamp( $order ) {
		if ( class_exists( '\Automattic\WooCommerce\Utilities\OrderUtil' ) && ! \Automattic\WooCommerce\Utilities\OrderUtil::custom_orders_table_usage_is_enabled() ) {
			$gmt = (string) get_post_field( 'post_modified_gmt', $order->get_id(), 'raw' );
			if ( '' !== $gmt && '0000-00-00 00:00:00' !== $gmt ) {
				return (int) strtotime( $gmt . ' UTC' );
			}
		}
		$modified = $order->get_date_modified();
		if ( ! $modified ) {
			$modified = $order->get_date_created();
		}
		return $modified ? $modified->getTimestamp() : time();
	}

	/**
	 * The status Revisit should see. Custom statuses become "processing" when WooCommerce counts the
	 * order as paid, "on-hold" otherwise; drafts are not sent.
	 *
	 * @param WC_Order $order Order.
	 * @return string Status, or '' to skip the order.
	 */
	public function order_status( $order ) {
		$raw = (string) $order->get_status();
		if ( 0 === strpos( $raw, 'wc-' ) ) {
			$raw = substr( $raw, 3 );
		}
		if ( in_array( $raw, self::KNOWN_STATUSES, true ) ) {
			$status = $raw;
		} elseif ( in_array( $raw, array( 'checkout-draft', 'draft', 'auto-draft', '' ), true ) ) {
			$status = '';
		} elseif ( 'trash' === $raw ) {
			$status = 'cancelled';
		} else {
			$status = $order->is_paid() ? 'processing' : 'on-hold';
		}
		/**
		 * Filters the status sent for an order; '' skips the order.
		 *
		 * @param string   $status One of pending, processing, on-hold, completed, cancelled, refunded, failed.
		 * @param string   $raw    WooCommerce's status without "wc-".
		 * @param WC_Order $order  Order.
		 */
		$status = (string) apply_filters( 'revisit_order_status', $status, $raw, $order );
		return ( '' === $status || in_array( $status, self::KNOWN_STATUSES, true ) ) ? $status : '';
	}

	/**
	 * An order as OrderData: the whole order, read through CRUD getters only.
	 *
	 * @param WC_Order $order Order.
	 * @return array|null Null when the order should not be sent (a draft, or not an order).
	 */
	public function order_data( $order ) {
		if ( ! $order instanceof WC_Order || ( is_callable( array( $order, 'get_type' ) ) && 'shop_order' !== $order->get_type() ) ) {
			return null;
		}
		$status = $this->order_status( $order );
		if ( '' === $status ) {
			return null;
		}
		$currency = $this->currency( $order );
		$user_id  = (int) $order->get_customer_id();

		$items = array();
		foreach ( $order->get_items( 'line_item' ) as $item ) {
			if ( ! $item instanceof WC_Order_Item_Product ) {
				continue;
			}
			$product_id = (int) $item->get_product_id();
			$product    = $item->get_product();
			// Categories belong to the parent of a variation; a simple product is its own parent.
			if ( $product && $product->get_id() === $product_id ) {
				$parent = $product;
			} else {
				$parent = $product_id > 0 ? wc_get_product( $product_id ) : null;
			}
			$items[]    = array(
				'product_id'   => (string) $product_id,
				'name'         => (string) $item->get_name(),
				'sku'          => $product ? (string) $product->get_sku() : '',
				'quantity'     => max( 1, (int) $item->get_quantity() ),
				'total'        => Revisit_Util::amount( $item->get_total() ),
				'category_ids' => $parent ? array_values( array_map( 'strval', (array) $parent->get_category_ids() ) ) : array(),
			);
		}

		$billing_email = (string) $order->get_billing_email();
		$email         = $billing_email;
		$first_name    = (string) $order->get_billing_first_name();
		$last_name     = (string) $order->get_billing_last_name();
		// The account fills in only what the order lacks (a checkout always has these, so a shopper's
		// request does not load the user for it).
		$user = ( $user_id > 0 && ( '' === $email || '' === $first_name || '' === $last_name ) ) ? get_userdata( $user_id ) : false;
		if ( $user ) {
			$email      = '' !== $email ? $email : (string) $user->user_email;
			$first_name = '' !== $first_name ? $first_name : (string) $user->first_name;
			$last_name  = '' !== $last_name ? $last_name : (string) $user->last_name;
		}
		$phone = Revisit_Phone::resolve( $user_id, $order );

		return array(
			'external_id'    => (string) $order->get_id(),
			'number'         => (string) $order->get_order_number(),
			'status'         => $status,
			'currency'       => $currency,
			'total'          => Revisit_Util::amount( $order->get_total() ),
			'subtotal'       => Revisit_Util::amount( $order->get_subtotal() ),
			'discount_total' => Revisit_Util::amount( $order->get_discount_total() ),
			'shipping_total' => Revisit_Util::amount( $order->get_shipping_total() ),
			'tax_total'      => Revisit_Util::amount( $order->get_total_tax() ),
			'credit_used'    => Revisit_Util::amount( $order->get_meta( self::META_CREDIT_USED, true ) ),
			'coupon_codes'   => array_values( array_map( 'strval', (array) $order->get_coupon_codes() ) ),
			'items'          => $items,
			'billing'        => array(
				'phone'      => self::nullable( Revisit_Phone::normalize( $order->get_billing_phone() ) ),
				'first_name' => self::nullable( $order->get_billing_first_name() ),
				'last_name'  => self::nullable( $order->get_billing_last_name() ),
				'email'      => self::nullable( $billing_email ),
				'city'       => self::nullable( $order->get_billing_city() ),
			),
			'customer'       => array(
				'external_id' => $user_id > 0 ? (string) $user_id : null,
				'phone'       => self::nullable( $phone ),
				'email'       => self::nullable( $email ),
				'first_name'  => self::nullable( $first_name ),
				'last_name'   => self::nullable( $last_name ),
				'city'        => self::nullable( $order->get_billing_city() ),
			),
			'created_at'     => Revisit_Util::iso( $order->get_date_created() ),
			'completed_at'   => Revisit_Util::iso( $order->get_date_completed() ),
		);
	}

	/**
	 * Queue one refund (one event per WooCommerce refund; its id is the refund's id).
	 *
	 * @param WC_Order_Refund $refund Refund.
	 * @param WC_Order|null   $order  Parent order (loaded when null).
	 * @return string|false Event id.
	 */
	public function queue_refund( $refund, $order = null ) {
		if ( ! $refund instanceof WC_Order_Refund ) {
			return false;
		}
		if ( ! $order ) {
			$order = wc_get_order( $refund->get_parent_id() );
		}
		if ( ! $order instanceof WC_Order ) {
			return false;
		}
		$reason = (string) $refund->get_reason();
		return $this->track(
			'order.refunded',
			array(
				'order_external_id' => (string) $order->get_id(),
				'refund_id'         => (string) $refund->get_id(),
				'amount'            => Revisit_Util::amount( $refund->get_amount() ),
				'currency'          => $this->currency( $order ),
				'reason'            => self::nullable( $reason ),
			),
			array(
				'id'          => 'refund-' . $refund->get_id(),
				'occurred_at' => $refund->get_date_created(),
				'context'     => $refund,
			)
		);
	}

	/**
	 * Queue a completed payment.
	 *
	 * @param WC_Order $order          Order.
	 * @param string   $transaction_id Gateway reference; the order's own when empty, else "order-<id>".
	 * @return string|false Event id.
	 */
	public function queue_payment( $order, $transaction_id = '' ) {
		if ( ! $order instanceof WC_Order ) {
			return false;
		}
		$transaction_id = trim( (string) $transaction_id );
		if ( '' === $transaction_id ) {
			$transaction_id = trim( (string) $order->get_transaction_id() );
		}
		if ( '' === $transaction_id ) {
			$transaction_id = 'order-' . $order->get_id();
		}
		$paid = $order->get_date_paid();
		return $this->track(
			'payment.completed',
			array(
				'order_external_id' => (string) $order->get_id(),
				'transaction_id'    => substr( $transaction_id, 0, 100 ),
				'amount'            => Revisit_Util::amount( $order->get_total() ),
				'currency'          => $this->currency( $order ),
				'method'            => substr( (string) $order->get_payment_method(), 0, 64 ),
				'paid_at'           => Revisit_Util::iso( $paid ),
			),
			array(
				'id'          => 'payment-' . $order->get_id() . '-' . substr( md5( $transaction_id ), 0, 12 ),
				'occurred_at' => $paid ? $paid : null,
				'context'     => $order,
			)
		);
	}

	/*
	|--------------------------------------------------------------------------
	| Customers
	|--------------------------------------------------------------------------
	*/

	/**
	 * Whether a user is someone Revisit should know as a customer (not staff).
	 *
	 * @param WP_User $user User.
	 * @return bool
	 */
	public static function is_customer( $user ) {
		if ( ! $user instanceof WP_User ) {
			return false;
		}
		/**
		 * Filters the roles whose users are sent to Revisit as customers.
		 *
		 * @param string[] $roles Default: customer, subscriber.
		 */
		$roles = (array) apply_filters( 'revisit_customer_roles', array( 'customer', 'subscriber' ) );
		return (bool) array_intersect( $roles, (array) $user->roles );
	}

	/**
	 * A user as CustomerData.
	 *
	 * @param int $user_id User id.
	 * @return array|null
	 */
	public function customer_data( $user_id ) {
		$user = get_userdata( (int) $user_id );
		if ( ! $user ) {
			return null;
		}
		$meta = static function ( $key ) use ( $user ) {
			return (string) get_user_meta( $user->ID, $key, true );
		};
		$first = $meta( 'first_name' );
		$last  = $meta( 'last_name' );
		$email = (string) $user->user_email;
		return array(
			'external_id' => (string) $user->ID,
			'phone'       => self::nullable( Revisit_Phone::resolve( $user->ID ) ),
			'email'       => self::nullable( '' !== $email ? $email : $meta( 'billing_email' ) ),
			'first_name'  => self::nullable( '' !== $first ? $first : $meta( 'billing_first_name' ) ),
			'last_name'   => self::nullable( '' !== $last ? $last : $meta( 'billing_last_name' ) ),
			'city'        => self::nullable( $meta( 'billing_city' ) ),
			'created_at'  => $user->user_registered ? Revisit_Util::iso( strtotime( $user->user_registered . ' UTC' ) ) : null,
		);
	}

	/**
	 * Queue a customer event when the customer's data really changed since the last one.
	 *
	 * @param int  $user_id User id.
	 * @param bool $created Whether the account was created in this request.
	 * @return string|false Event id, or false when nothing changed (or the user is not a customer).
	 */
	public function queue_customer( $user_id, $created = false ) {
		$user = get_userdata( (int) $user_id );
		if ( ! self::is_customer( $user ) ) {
			return false;
		}
		$previous = (string) get_user_meta( $user->ID, self::META_CUSTOMER_HASH, true );
		$type     = ( $created || '' === $previous ) ? 'customer.created' : 'customer.updated';
		$data     = $this->prepare( $type, $this->customer_data( $user->ID ), $user );
		if ( null === $data ) {
			return false;
		}
		$hash = Revisit_Util::fingerprint( $data, 32 );
		if ( $hash === $previous ) {
			return false; // Nothing Revisit cares about changed.
		}
		$id = $this->enqueue(
			$type,
			$data,
			array( 'id' => sprintf( 'customer-%d-%d-%s', $user->ID, time(), substr( $hash, 0, 8 ) ) )
		);
		if ( false !== $id ) {
			update_user_meta( $user->ID, self::META_CUSTOMER_HASH, $hash );
		}
		return $id;
	}

	/**
	 * Forget what was sent of every customer, so each is sent again as new (another Revisit store).
	 */
	public function forget_customers() {
		delete_metadata( 'user', 0, self::META_CUSTOMER_HASH, '', true );
	}

	/**
	 * The order's currency code, upper case (Persian stores use IRT or IRR).
	 *
	 * @param WC_Order $order Order.
	 * @return string
	 */
	private function currency( $order ) {
		$currency = strtoupper( trim( (string) $order->get_currency() ) );
		if ( '' === $currency && function_exists( 'get_woocommerce_currency' ) ) {
			$currency = strtoupper( (string) get_woocommerce_currency() );
		}
		return $currency;
	}

	/**
	 * '' becomes null (the schema's "not known").
	 *
	 * @param mixed $value Value.
	 * @return string|null
	 */
	private static function nullable( $value ) {
		$value = trim( (string) $value );
		return '' === $value ? null : $value;
	}
}
