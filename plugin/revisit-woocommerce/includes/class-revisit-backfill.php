<?php
/**
 * Backfill: send the store's history (customers, then orders with their refunds) to Revisit.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Resumable, in small background steps. Each step queues up to 100 customers or orders (the sender
 * delivers them); the position is kept in an option, so an interrupted backfill goes on where it
 * stopped. Event ids are stable, so anything queued twice reaches Revisit once.
 */
class Revisit_Backfill {

	const HOOK = 'revisit_backfill_step';

	/**
	 * Re-read this many items before the position, in case some were deleted meanwhile.
	 */
	const OVERLAP = 20;

	/**
	 * Events.
	 *
	 * @var Revisit_Events
	 */
	private $events;

	/**
	 * Scheduler.
	 *
	 * @var Revisit_Scheduler
	 */
	private $scheduler;

	/**
	 * Constructor.
	 *
	 * @param Revisit_Events    $events    Events.
	 * @param Revisit_Scheduler $scheduler Scheduler.
	 */
	public function __construct( Revisit_Events $events, Revisit_Scheduler $scheduler ) {
		$this->events    = $events;
		$this->scheduler = $scheduler;
	}

	/**
	 * The backfill's state.
	 *
	 * @return array status (''|running|done), phase (customers|orders), cursor, offset, done, total…
	 */
	public static function state() {
		$state = get_option( Revisit_Settings::OPTION_BACKFILL, array() );
		return array_merge(
			array(
				'status'          => '',
				'phase'           => '',
				'cursor'          => 0,
				'offset'          => 0,
				'done'            => 0,
				'total'           => 0,
				'customers_total' => 0,
				'orders_total'    => 0,
				'started_at'      => 0,
				'finished_at'     => 0,
				'last_step_at'    => 0,
			),
			is_array( $state ) ? $state : array()
		);
	}

	/**
	 * Save the state.
	 *
	 * @param array $state State.
	 */
	private static function save( array $state ) {
		update_option( Revisit_Settings::OPTION_BACKFILL, $state, false );
	}

	/**
	 * Customers or orders per step.
	 *
	 * @return int
	 */
	public function step_size() {
		/**
		 * Filters how many customers or orders one backfill step queues (1 to 500).
		 *
		 * @param int $size Default 100.
		 */
		return max( 1, min( 500, (int) apply_filters( 'revisit_backfill_batch_size', 100 ) ) );
	}

	/**
	 * Start (or restart) the backfill from the beginning.
	 *
	 * @return bool False without an access key.
	 */
	public function start() {
		if ( '' === Revisit_Settings::access_key() ) {
			return false;
		}
		$customers = $this->count_customers();
		$orders    = $this->count_orders();
		self::save(
			array_merge(
				self::state(),
				array(
					'status'          => 'running',
					'phase'           => 'customers',
					'cursor'          => 0,
					'offset'          => 0,
					'done'            => 0,
					'customers_total' => $customers,
					'orders_total'    => $orders,
					'total'           => $customers + $orders,
					'started_at'      => time(),
					'finished_at'     => 0,
				)
			)
		);
		$this->scheduler->schedule( self::HOOK, time() );
		return true;
	}

	/**
	 * The key now belongs to another Revisit store: forget what the old one was sent — its queue
	 * (delivered or not), the customers' fingerprints, the backfill's progress and the sender's
	 * failures — and send the whole history again, from the beginning.
	 *
	 * @param Revisit_Queue $queue Queue.
	 * @return bool Whether the new backfill started.
	 */
	public function start_over_for_new_store( Revisit_Queue $queue ) {
		$this->scheduler->unschedule_all( self::HOOK );
		$queue->clear();
		$this->events->forget_customers();
		delete_option( Revisit_Settings::OPTION_BACKFILL );
		delete_option( Revisit_Settings::OPTION_SENDER );
		return $this->start();
	}

	/**
	 * Start once, after the first successful connection.
	 *
	 * @return bool Whether it started now.
	 */
	public function maybe_start_first_time() {
		$state = self::state();
		return '' === $state['status'] ? $this->start() : false;
	}

	/**
	 * If a backfill is running but no step is scheduled (a lost wake-up), schedule one.
	 */
	public function ensure_scheduled() {
		$state = self::state();
		if ( 'running' === $state['status'] && null === $this->scheduler->next( self::HOOK ) ) {
			$this->scheduler->schedule( self::HOOK, time() );
		}
	}

	/**
	 * One step: queue the next customers or orders, remember the position, schedule the next step.
	 *
	 * @return array The state after the step.
	 */
	public function step() {
		$state = self::state();
		if ( 'running' !== $state['status'] || '' === Revisit_Settings::access_key() ) {
			return $state;
		}
		$size = $this->step_size();
		if ( 'customers' === $state['phase'] ) {
			$state = $this->step_customers( $state, $size );
		} else {
			$state = $this->step_orders( $state, $size );
		}
		$state['last_step_at'] = time();
		self::save( $state );
		if ( 'running' === $state['status'] ) {
			$this->scheduler->schedule( self::HOOK, time() );
		}
		return $state;
	}

	/**
	 * Queue the next customers.
	 *
	 * @param array $state State.
	 * @param int   $size  Step size.
	 * @return array
	 */
	private function step_customers( array $state, $size ) {
		$ids  = $this->next_ids( $this->customer_ids( max( 0, (int) $state['offset'] - self::OVERLAP ), $size + self::OVERLAP ), (int) $state['cursor'], $size );
		$more = count( $ids['fetched'] ) >= $size + self::OVERLAP || count( $ids['new'] ) >= $size;
		foreach ( $ids['new'] as $user_id ) {
			$this->events->queue_customer( $user_id );
			$state['cursor'] = $user_id;
		}
		$state['done']   += count( $ids['new'] );
		$state['offset'] += count( $ids['new'] );
		if ( ! $ids['new'] && $more ) {
			$state['offset'] += $size + self::OVERLAP; // Everything seen was before the position.
		} elseif ( ! $more ) {
			$state['phase']  = 'orders';
			$state['cursor'] = 0;
			$state['offset'] = 0;
		}
		return $state;
	}

	/**
	 * Queue the next orders, each with its refunds.
	 *
	 * @param array $state State.
	 * @param int   $size  Step size.
	 * @return array
	 */
	private function step_orders( array $state, $size ) {
		$ids  = $this->next_ids( $this->order_ids( max( 0, (int) $state['offset'] - self::OVERLAP ), $size + self::OVERLAP ), (int) $state['cursor'], $size );
		$more = count( $ids['fetched'] ) >= $size + self::OVERLAP || count( $ids['new'] ) >= $size;
		foreach ( $ids['new'] as $order_id ) {
			$order = wc_get_order( $order_id );
			if ( $order instanceof WC_Order ) {
				$this->events->queue_order( $order, 'order.created' );
				foreach ( $order->get_refunds() as $refund ) {
					$this->events->queue_refund( $refund, $order );
				}
			}
			$state['cursor'] = $order_id;
		}
		$state['done']   += count( $ids['new'] );
		$state['offset'] += count( $ids['new'] );
		if ( ! $ids['new'] && $more ) {
			$state['offset'] += $size + self::OVERLAP;
		} elseif ( ! $more ) {
			$state['status']      = 'done';
			$state['phase']       = '';
			$state['finished_at'] = time();
			$state['done']        = max( (int) $state['done'], (int) $state['total'] );
		}
		return $state;
	}

	/**
	 * The ids after the cursor, at most `$size` of them.
	 *
	 * @param int[] $fetched Ids in ascending order.
	 * @param int   $cursor  Last id done.
	 * @param int   $size    Most ids.
	 * @return array{fetched:int[],new:int[]}
	 */
	private function next_ids( array $fetched, $cursor, $size ) {
		$fetched = array_map( 'intval', $fetched );
		$new     = array_values(
			array_filter(
				$fetched,
				static function ( $id ) use ( $cursor ) {
					return $id > $cursor;
				}
			)
		);
		return array(
			'fetched' => $fetched,
			'new'     => array_slice( $new, 0, $size ),
		);
	}

	/**
	 * Query arguments for the customers to send.
	 *
	 * @return array
	 */
	private function customer_query_args() {
		/** This filter is documented in includes/class-revisit-events.php */
		$roles = (array) apply_filters( 'revisit_customer_roles', array( 'customer', 'subscriber' ) );
		return array(
			'role__in' => $roles,
			'orderby'  => 'ID',
			'order'    => 'ASC',
			'fields'   => 'ID',
		);
	}

	/**
	 * Customer ids by position.
	 *
	 * @param int $offset Position.
	 * @param int $limit  Most ids.
	 * @return int[]
	 */
	private function customer_ids( $offset, $limit ) {
		$args = array_merge(
			$this->customer_query_args(),
			array(
				'number'      => $limit,
				'offset'      => $offset,
				'count_total' => false,
			)
		);
		return array_map( 'intval', (array) get_users( $args ) );
	}

	/**
	 * How many customers there are.
	 *
	 * @return int
	 */
	private function count_customers() {
		$query = new WP_User_Query(
			array_merge(
				$this->customer_query_args(),
				array(
					'number'      => 1,
					'count_total' => true,
				)
			)
		);
		return (int) $query->get_total();
	}

	/**
	 * Arguments for wc_get_orders(): real orders in every registered status, by id. A block checkout's
	 * draft is no order yet (it is never sent), so it is neither counted nor walked.
	 *
	 * @return array
	 */
	private function order_query_args() {
		return array(
			'type'    => 'shop_order',
			'status'  => array_values( array_diff( array_keys( wc_get_order_statuses() ), array( 'wc-checkout-draft' ) ) ),
			'orderby' => 'ID',
			'order'   => 'ASC',
			'return'  => 'ids',
		);
	}

	/**
	 * Order ids by position.
	 *
	 * @param int $offset Position.
	 * @param int $limit  Most ids.
	 * @return int[]
	 */
	private function order_ids( $offset, $limit ) {
		$args = array_merge(
			$this->order_query_args(),
			array(
				'limit'  => $limit,
				'offset' => $offset,
			)
		);
		return array_map( 'intval', (array) wc_get_orders( $args ) );
	}

	/**
	 * How many orders there are.
	 *
	 * @return int
	 */
	private function count_orders() {
		$result = wc_get_orders(
			array_merge(
				$this->order_query_args(),
				array(
					'limit'    => 1,
					'paginate' => true,
				)
			)
		);
		return is_object( $result ) && isset( $result->total ) ? (int) $result->total : 0;
	}
}
