<?php
/**
 * WC_Data: props with changes, meta data, "view" filters.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * The CRUD base, as WooCommerce's: props are read from `data`, written to `changes` once the object
 * is read, and applied on save; meta is kept on the object and saved with it.
 */
abstract class WC_Data {

	/**
	 * Id.
	 *
	 * @var int
	 */
	protected $id = 0;

	/**
	 * Saved props.
	 *
	 * @var array
	 */
	protected $data = array();

	/**
	 * Unsaved props.
	 *
	 * @var array
	 */
	protected $changes = array();

	/**
	 * Meta: key => value.
	 *
	 * @var array
	 */
	protected $meta_data = array();

	/**
	 * Whether meta changed since the last save.
	 *
	 * @var bool
	 */
	protected $meta_changed = false;

	/**
	 * Whether the object was read (setters then record changes).
	 *
	 * @var bool
	 */
	protected $object_read = false;

	/**
	 * For hook names ("order", "order_item"...).
	 *
	 * @var string
	 */
	protected $object_type = 'data';

	/**
	 * Id.
	 *
	 * @return int
	 */
	public function get_id() {
		return $this->id;
	}

	/**
	 * Set id.
	 *
	 * @param int $id Id.
	 */
	public function set_id( $id ) {
		$this->id = absint( $id );
	}

	/**
	 * Mark read.
	 *
	 * @param bool $read Read.
	 */
	public function set_object_read( $read = true ) {
		$this->object_read = (bool) $read;
	}

	/**
	 * A prop; "view" runs the woocommerce_{type}_get_{prop} filter like WooCommerce.
	 *
	 * @param string $prop    Prop.
	 * @param string $context view|edit.
	 * @return mixed
	 */
	protected function get_prop( $prop, $context = 'view' ) {
		$value = array_key_exists( $prop, $this->changes ) ? $this->changes[ $prop ] : ( isset( $this->data[ $prop ] ) ? $this->data[ $prop ] : null );
		if ( 'view' === $context ) {
			$value = apply_filters( 'woocommerce_' . $this->object_type . '_get_' . $prop, $value, $this );
		}
		return $value;
	}

	/**
	 * Set a prop.
	 *
	 * @param string $prop  Prop.
	 * @param mixed  $value Value.
	 */
	protected function set_prop( $prop, $value ) {
		if ( ! $this->object_read ) {
			$this->data[ $prop ] = $value;
			return;
		}
		$current = isset( $this->data[ $prop ] ) ? $this->data[ $prop ] : null;
		if ( $value !== $current || array_key_exists( $prop, $this->changes ) ) {
			$this->changes[ $prop ] = $value;
		}
	}

	/**
	 * Set a date prop from a WC_DateTime, a timestamp or a date string.
	 *
	 * @param string $prop  Prop.
	 * @param mixed  $value Value.
	 */
	protected function set_date_prop( $prop, $value ) {
		if ( null === $value || '' === $value ) {
			$this->set_prop( $prop, null );
			return;
		}
		if ( $value instanceof WC_DateTime ) {
			$date = $value;
		} elseif ( is_numeric( $value ) ) {
			$date = WC_DateTime::from_timestamp( (int) $value );
		} else {
			$date = new WC_DateTime( (string) $value, wp_timezone() );
			$date->setTimezone( wp_timezone() );
		}
		$this->set_prop( $prop, $date );
	}

	/**
	 * Set many props through their setters.
	 *
	 * @param array $props Props.
	 */
	public function set_props( $props ) {
		foreach ( $props as $prop => $value ) {
			$setter = "set_{$prop}";
			if ( is_callable( array( $this, $setter ) ) ) {
				$this->{$setter}( $value );
			}
		}
	}

	/**
	 * Unsaved changes.
	 *
	 * @return array
	 */
	public function get_changes() {
		return $this->changes;
	}

	/**
	 * Merge changes into data.
	 */
	public function apply_changes() {
		$this->data    = array_replace( $this->data, $this->changes );
		$this->changes = array();
	}

	/**
	 * A meta value.
	 *
	 * @param string $key     Key.
	 * @param bool   $single  Single value.
	 * @param string $context Context.
	 * @return mixed
	 */
	public function get_meta( $key = '', $single = true, $context = 'view' ) {
		if ( ! array_key_exists( $key, $this->meta_data ) ) {
			return $single ? '' : array();
		}
		return $single ? $this->meta_data[ $key ] : array( $this->meta_data[ $key ] );
	}

	/**
	 * Whether a meta key exists.
	 *
	 * @param string $key Key.
	 * @return bool
	 */
	public function meta_exists( $key = '' ) {
		return array_key_exists( $key, $this->meta_data );
	}

	/**
	 * Add meta.
	 *
	 * @param string $key    Key.
	 * @param mixed  $value  Value.
	 * @param bool   $unique Only when absent.
	 */
	public function add_meta_data( $key, $value, $unique = false ) {
		if ( $unique && array_key_exists( $key, $this->meta_data ) ) {
			return;
		}
		$this->meta_data[ $key ] = $value;
		$this->meta_changed      = true;
	}

	/**
	 * Update meta.
	 *
	 * @param string $key   Key.
	 * @param mixed  $value Value.
	 */
	public function update_meta_data( $key, $value ) {
		$this->meta_data[ $key ] = $value;
		$this->meta_changed      = true;
	}

	/**
	 * Delete meta.
	 *
	 * @param string $key Key.
	 */
	public function delete_meta_data( $key ) {
		unset( $this->meta_data[ $key ] );
		$this->meta_changed = true;
	}

	/**
	 * All meta.
	 *
	 * @return array
	 */
	public function get_meta_data() {
		return $this->meta_data;
	}
}
