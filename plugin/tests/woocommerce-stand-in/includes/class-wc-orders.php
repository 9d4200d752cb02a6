<?php
/**
 * Orders and refunds.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * What orders and refunds share: props, items, save() with WooCommerce's hooks.
 */
abstract class WC_Abstract_Order extends WC_Data {

	/**
	 * Hook prefix.
	 *
	 * @var string
	 */
	protected $object_type = 'order';

	/**
	 * Items by type: type => [id or "new:n" => item].
	 *
	 * @var array
	 */
	protected $items = array();

	/**
	 * Whether items were added or removed since the last save.
	 *
	 * @var bool
	 */
	protected $items_changed = false;

	/**
	 * Status change to announce after saving: [from, to].
	 *
	 * @var array
	 */
	protected $status_transition = array();

	/**
	 * Constructor: a new object, or a stored one by id (wc_get_order() is the usual way).
	 *
	 * @param int $id Id.
	 */
	public function __construct( $id = 0 ) {
		$this->data = array(
			'parent_id'          => 0,
			'status'             => 'pending',
			'currency'           => get_woocommerce_currency(),
			'date_created'       => null,
			'date_modified'      => null,
			'discount_total'     => '0',
			'shipping_total'     => '0',
			'total_tax'          => '0',
			'total'              => '0',
			'customer_id'        => 0,
			'billing_first_name' => '',
			'billing_last_name'  => '',
			'billing_email'      => '',
			'billing_phone'      => '',
			'billing_city'       => '',
			'payment_method'     => '',
			'transaction_id'     => '',
			'date_paid'          => null,
			'date_completed'     => null,
			'amount'             => '0',
			'reason'             => '',
		);
		if ( $id && isset( WC_Stand_In::$orders[ $id ] ) ) {
			$stored          = WC_Stand_In::$orders[ $id ];
			$this->id        = (int) $id;
			$this->data      = $stored['data'];
			$this->meta_data = $stored['meta'];
			foreach ( $stored['items'] as $type => $items ) {
				foreach ( $items as $item_id => $item ) {
					$this->items[ $type ][ $item_id ] = clone $item;
				}
			}
		}
		$this->object_read = true;
	}

	/**
	 * Post type.
	 *
	 * @return string
	 */
	abstract public function get_type();

	/**
	 * Generic getter for the simple props.
	 *
	 * @param string $prop    Prop.
	 * @param string $context Context.
	 * @return mixed
	 */
	protected function prop( $prop, $context ) {
		return $this->get_prop( $prop, $context );
	}

	// phpcs:disable Squiz.Commenting.FunctionComment.Missing -- plain getters and setters, named as in WooCommerce.
	public function get_parent_id( $context = 'view' ) {
		return (int) $this->prop( 'parent_id', $context ); }
	public function set_parent_id( $v ) {
		$this->set_prop( 'parent_id', absint( $v ) ); }
	public function get_status( $context = 'view' ) {
		return (string) $this->prop( 'status', $context ); }
	public function get_currency( $context = 'view' ) {
		return (string) $this->prop( 'currency', $context ); }
	public function set_currency( $v ) {
		$this->set_prop( 'currency', strtoupper( (string) $v ) ); }
	public function get_date_created( $context = 'view' ) {
		return $this->prop( 'date_created', $context ); }
	public function set_date_created( $v ) {
		$this->set_date_prop( 'date_created', $v ); }
	public function get_date_modified( $context = 'view' ) {
		return $this->prop( 'date_modified', $context ); }
	public function set_date_modified( $v ) {
		$this->set_date_prop( 'date_modified', $v ); }
	public function get_discount_total( $context = 'view' ) {
		return $this->prop( 'discount_total', $context ); }
	public function set_discount_total( $v ) {
		$this->set_prop( 'discount_total', wc_format_decimal( $v ) ); }
	public function get_shipping_total( $context = 'view' ) {
		return $this->prop( 'shipping_total', $context ); }
	public function set_shipping_total( $v ) {
		$this->set_prop( 'shipping_total', wc_format_decimal( $v ) ); }
	public function get_total_tax( $context = 'view' ) {
		return $this->prop( 'total_tax', $context ); }
	public function set_total_tax( $v ) {
		$this->set_prop( 'total_tax', wc_format_decimal( $v ) ); }
	public function get_total( $context = 'view' ) {
		return $this->prop( 'total', $context ); }
	public function set_total( $v ) {
		$this->set_prop( 'total', wc_format_decimal( $v, wc_get_price_decimals() ) ); }
	// phpcs:enable

	/**
	 * Status, as WooCommerce sets it (the "wc-" prefix dropped); remembers the transition.
	 *
	 * @param string $new_status Status.
	 * @return array from/to.
	 */
	public function set_status( $new_status ) {
		$new_status = 0 === strpos( (string) $new_status, 'wc-' ) ? substr( $new_status, 3 ) : (string) $new_status;
		$old_status = $this->get_status( 'edit' );
		$this->set_prop( 'status', $new_status );
		if ( $this->object_read && '' !== $old_status && $old_status !== $new_status ) {
			$from                    = isset( $this->status_transition['from'] ) ? $this->status_transition['from'] : $old_status;
			$this->status_transition = array(
				'from' => $from,
				'to'   => $new_status,
			);
		}
		return array(
			'from' => $old_status,
			'to'   => $new_status,
		);
	}

	/**
	 * Whether the order has one of the statuses.
	 *
	 * @param string|string[] $status Status(es).
	 * @return bool
	 */
	public function has_status( $status ) {
		return in_array( $this->get_status(), (array) $status, true );
	}

	/**
	 * Items of one or more types.
	 *
	 * @param string|string[] $types line_item, fee, coupon.
	 * @return WC_Order_Item[]
	 */
	public function get_items( $types = 'line_item' ) {
		$found = array();
		foreach ( (array) $types as $type ) {
			if ( isset( $this->items[ $type ] ) ) {
				$found += $this->items[ $type ];
			}
		}
		return apply_filters( 'woocommerce_order_get_items', $found, $this, (array) $types );
	}

	/**
	 * Fee items.
	 *
	 * @return WC_Order_Item_Fee[]
	 */
	public function get_fees() {
		return $this->get_items( 'fee' );
	}

	/**
	 * One item by id.
	 *
	 * @param int|string $item_id Id.
	 * @return WC_Order_Item|false
	 */
	public function get_item( $item_id ) {
		foreach ( $this->items as $items ) {
			if ( isset( $items[ $item_id ] ) ) {
				return $items[ $item_id ];
			}
		}
		return false;
	}

	/**
	 * Add an item (saved with the order).
	 *
	 * @param WC_Order_Item $item Item.
	 */
	public function add_item( $item ) {
		$type = $item->get_type();
		$key  = $item->get_id() ? $item->get_id() : 'new:' . $type . count( isset( $this->items[ $type ] ) ? $this->items[ $type ] : array() );
		$this->items[ $type ][ $key ] = $item;
		$this->items_changed          = true;
	}

	/**
	 * Remove an item.
	 *
	 * @param int|string $item_id Id.
	 */
	public function remove_item( $item_id ) {
		foreach ( $this->items as $type => $items ) {
			if ( isset( $items[ $item_id ] ) ) {
				unset( $this->items[ $type ][ $item_id ] );
				$this->items_changed = true;
			}
		}
	}

	/**
	 * Remove every item (a resumed checkout re-adds them).
	 */
	public function remove_order_items() {
		$this->items         = array();
		$this->items_changed = true;
	}

	/**
	 * Coupon codes used.
	 *
	 * @return string[]
	 */
	public function get_coupon_codes() {
		$codes = array();
		foreach ( $this->get_items( 'coupon' ) as $item ) {
			$codes[] = $item->get_code();
		}
		return $codes;
	}

	/**
	 * Sum of the line subtotals.
	 *
	 * @return float
	 */
	public function get_subtotal() {
		$subtotal = 0.0;
		foreach ( $this->get_items( 'line_item' ) as $item ) {
			$subtotal += (float) $item->get_subtotal();
		}
		return apply_filters( 'woocommerce_order_get_subtotal', $subtotal, $this );
	}

	/**
	 * Recalculate the total from the items, fees and shipping (taxes are not modelled).
	 *
	 * @param bool $and_taxes Ignored by the stand-in.
	 * @return float
	 */
	public function calculate_totals( $and_taxes = true ) {
		$lines    = 0.0;
		$subtotal = 0.0;
		foreach ( $this->get_items( 'line_item' ) as $item ) {
			$lines    += (float) $item->get_total();
			$subtotal += (float) $item->get_subtotal();
		}
		$fees = 0.0;
		foreach ( $this->get_items( 'fee' ) as $item ) {
			$fees += (float) $item->get_total();
		}
		$this->set_discount_total( $subtotal - $lines );
		$total = max( 0, $lines + $fees + (float) $this->get_shipping_total( 'edit' ) + (float) $this->get_total_tax( 'edit' ) );
		$this->set_total( $total );
		return (float) $this->get_total( 'edit' );
	}

	/**
	 * Save, firing WooCommerce's hooks.
	 *
	 * @return int Id.
	 */
	public function save() {
		$is_new      = ! $this->id;
		$has_changes = $this->changes || $this->meta_changed || $this->items_changed;
		if ( $is_new ) {
			$this->id = WC_Stand_In::next_id();
			if ( ! $this->get_date_created( 'edit' ) ) {
				$this->set_date_created( time() );
			}
			$this->set_date_modified( $this->get_date_created( 'edit' )->getTimestamp() );
		} elseif ( $has_changes && ! array_key_exists( 'date_modified', $this->changes ) ) {
			$this->set_date_modified( time() );
		}
		if ( ! $is_new && ! $has_changes ) {
			$this->status_transition();
			return $this->id;
		}
		$this->apply_changes();
		$this->persist();
		if ( $is_new ) {
			$this->after_create();
		} else {
			$this->after_update();
		}
		$this->status_transition();
		return $this->id;
	}

	/**
	 * Write to the in-memory store.
	 */
	protected function persist() {
		$items = array();
		foreach ( $this->items as $type => $list ) {
			foreach ( $list as $key => $item ) {
				if ( ! $item->get_id() ) {
					$item->set_id( WC_Stand_In::$next_item_id++ );
				}
				$item->set_order_id( $this->id );
				$item->save_in_order();
				$items[ $type ][ $item->get_id() ] = clone $item;
			}
		}
		$this->items = array();
		foreach ( $items as $type => $list ) {
			foreach ( $list as $item_id => $item ) {
				$this->items[ $type ][ $item_id ] = clone $item;
			}
		}
		WC_Stand_In::$orders[ $this->id ] = array(
			'class' => get_class( $this ),
			'data'  => $this->data,
			'meta'  => $this->meta_data,
			'items' => $items,
		);
		$this->meta_changed  = false;
		$this->items_changed = false;
	}

	/**
	 * Hooks after the first save.
	 */
	protected function after_create() {}

	/**
	 * Hooks after a later save.
	 */
	protected function after_update() {}

	/**
	 * Announce a status change, as WooCommerce does after saving.
	 */
	protected function status_transition() {
		$transition              = $this->status_transition;
		$this->status_transition = array();
		if ( ! $transition || $transition['from'] === $transition['to'] ) {
			return;
		}
		do_action( 'woocommerce_order_status_' . $transition['to'], $this->id, $this );
		do_action( 'woocommerce_order_status_' . $transition['from'] . '_to_' . $transition['to'], $this->id, $this );
		do_action( 'woocommerce_order_status_changed', $this->id, $transition['from'], $transition['to'], $this );
	}

	/**
	 * Delete from the store.
	 *
	 * @param bool $force_delete Ignored.
	 * @return bool
	 */
	public function delete( $force_delete = false ) {
		unset( WC_Stand_In::$orders[ $this->id ] );
		return true;
	}
}

/**
 * An order.
 */
class WC_Order extends WC_Abstract_Order {

	/**
	 * Post type.
	 *
	 * @return string
	 */
	public function get_type() {
		return 'shop_order';
	}

	/**
	 * Hooks after the first save.
	 */
	protected function after_create() {
		do_action( 'woocommerce_new_order', $this->id, $this );
	}

	/**
	 * Hooks after a later save.
	 */
	protected function after_update() {
		do_action( 'woocommerce_update_order', $this->id, $this );
	}

	// phpcs:disable Squiz.Commenting.FunctionComment.Missing -- plain getters and setters, named as in WooCommerce.
	public function get_order_number() {
		return (string) apply_filters( 'woocommerce_order_number', $this->get_id(), $this ); }
	public function get_customer_id( $context = 'view' ) {
		return (int) $this->prop( 'customer_id', $context ); }
	public function get_user_id( $context = 'view' ) {
		return $this->get_customer_id( $context ); }
	public function set_customer_id( $v ) {
		$this->set_prop( 'customer_id', absint( $v ) ); }
	public function get_billing_first_name( $context = 'view' ) {
		return (string) $this->prop( 'billing_first_name', $context ); }
	public function set_billing_first_name( $v ) {
		$this->set_prop( 'billing_first_name', (string) $v ); }
	public function get_billing_last_name( $context = 'view' ) {
		return (string) $this->prop( 'billing_last_name', $context ); }
	public function set_billing_last_name( $v ) {
		$this->set_prop( 'billing_last_name', (string) $v ); }
	public function get_billing_email( $context = 'view' ) {
		return (string) $this->prop( 'billing_email', $context ); }
	public function set_billing_email( $v ) {
		$this->set_prop( 'billing_email', sanitize_email( (string) $v ) ); }
	public function get_billing_phone( $context = 'view' ) {
		return (string) $this->prop( 'billing_phone', $context ); }
	public function set_billing_phone( $v ) {
		$this->set_prop( 'billing_phone', (string) $v ); }
	public function get_billing_city( $context = 'view' ) {
		return (string) $this->prop( 'billing_city', $context ); }
	public function set_billing_city( $v ) {
		$this->set_prop( 'billing_city', (string) $v ); }
	public function get_payment_method( $context = 'view' ) {
		return (string) $this->prop( 'payment_method', $context ); }
	public function set_payment_method( $v ) {
		$this->set_prop( 'payment_method', (string) $v ); }
	public function get_transaction_id( $context = 'view' ) {
		return (string) $this->prop( 'transaction_id', $context ); }
	public function set_transaction_id( $v ) {
		$this->set_prop( 'transaction_id', (string) $v ); }
	public function get_date_paid( $context = 'view' ) {
		return $this->prop( 'date_paid', $context ); }
	public function set_date_paid( $v ) {
		$this->set_date_prop( 'date_paid', $v ); }
	public function get_date_completed( $context = 'view' ) {
		return $this->prop( 'date_completed', $context ); }
	public function set_date_completed( $v ) {
		$this->set_date_prop( 'date_completed', $v ); }
	// phpcs:enable

	/**
	 * Status setter that also stamps the completion date, as WooCommerce does.
	 *
	 * @param string $new_status Status.
	 * @return array
	 */
	public function set_status( $new_status ) {
		$result = parent::set_status( $new_status );
		if ( 'completed' === $result['to'] && ! $this->get_date_completed( 'edit' ) ) {
			$this->set_date_completed( time() );
		}
		return $result;
	}

	/**
	 * Change the status and save.
	 *
	 * @param string $new_status Status.
	 * @param string $note       Note.
	 * @return bool
	 */
	public function update_status( $new_status, $note = '' ) {
		$this->set_status( $new_status );
		if ( $note ) {
			$this->add_order_note( $note );
		}
		$this->save();
		return true;
	}

	/**
	 * Paid statuses.
	 *
	 * @return bool
	 */
	public function is_paid() {
		return $this->has_status( wc_get_is_paid_statuses() );
	}

	/**
	 * Whether payment is still needed.
	 *
	 * @return bool
	 */
	public function needs_payment() {
		return $this->has_status( array( 'pending', 'failed' ) ) && (float) $this->get_total( 'edit' ) > 0;
	}

	/**
	 * Payment received: as WooCommerce, sets the transaction id and paid date, moves to processing,
	 * saves, then fires woocommerce_payment_complete.
	 *
	 * @param string $transaction_id Gateway reference.
	 * @return bool
	 */
	public function payment_complete( $transaction_id = '' ) {
		do_action( 'woocommerce_pre_payment_complete', $this->get_id(), $transaction_id );
		if ( ! $this->has_status( apply_filters( 'woocommerce_valid_order_statuses_for_payment_complete', array( 'on-hold', 'pending', 'failed', 'cancelled' ), $this ) ) ) {
			do_action( 'woocommerce_payment_complete_order_status_' . $this->get_status(), $this->get_id(), $transaction_id );
			return false;
		}
		if ( ! empty( $transaction_id ) ) {
			$this->set_transaction_id( $transaction_id );
		}
		if ( ! $this->get_date_paid( 'edit' ) ) {
			$this->set_date_paid( time() );
		}
		$this->set_status( apply_filters( 'woocommerce_payment_complete_order_status', 'processing', $this->get_id(), $this ) );
		$this->save();
		do_action( 'woocommerce_payment_complete', $this->get_id(), $transaction_id );
		return true;
	}

	/**
	 * Add a note.
	 *
	 * @param string $note Note.
	 * @return int
	 */
	public function add_order_note( $note ) {
		WC_Stand_In::$notes[ $this->get_id() ][] = (string) $note;
		return count( WC_Stand_In::$notes[ $this->get_id() ] );
	}

	/**
	 * Refunds of this order, newest first.
	 *
	 * @return WC_Order_Refund[]
	 */
	public function get_refunds() {
		$refunds = array();
		foreach ( WC_Stand_In::$orders as $id => $stored ) {
			if ( 'WC_Order_Refund' === $stored['class'] && (int) $stored['data']['parent_id'] === $this->get_id() ) {
				$refunds[] = new WC_Order_Refund( $id );
			}
		}
		return array_reverse( $refunds );
	}

	/**
	 * Total refunded.
	 *
	 * @return float
	 */
	public function get_total_refunded() {
		$total = 0.0;
		foreach ( $this->get_refunds() as $refund ) {
			$total += (float) $refund->get_amount();
		}
		return $total;
	}
}

/**
 * A refund (a child of its order).
 */
class WC_Order_Refund extends WC_Abstract_Order {

	/**
	 * Post type.
	 *
	 * @return string
	 */
	public function get_type() {
		return 'shop_order_refund';
	}

	// phpcs:disable Squiz.Commenting.FunctionComment.Missing -- plain getters and setters, named as in WooCommerce.
	public function get_amount( $context = 'view' ) {
		return $this->prop( 'amount', $context ); }
	public function set_amount( $v ) {
		$this->set_prop( 'amount', wc_format_decimal( $v ) ); }
	public function get_reason( $context = 'view' ) {
		return (string) $this->prop( 'reason', $context ); }
	public function set_reason( $v ) {
		$this->set_prop( 'reason', (string) $v ); }
	// phpcs:enable
}
