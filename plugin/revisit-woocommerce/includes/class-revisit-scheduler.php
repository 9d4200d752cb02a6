<?php
/**
 * Background work: WooCommerce's Action Scheduler when present, WP-Cron otherwise.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * A thin wrapper so the rest of the plugin does not care which scheduler runs it.
 */
class Revisit_Scheduler {

	const GROUP = 'revisit';

	/**
	 * Whether to use Action Scheduler (bundled with WooCommerce).
	 *
	 * @return bool
	 */
	public function uses_action_scheduler() {
		$available = function_exists( 'as_schedule_single_action' )
			&& function_exists( 'as_next_scheduled_action' )
			&& function_exists( 'as_unschedule_all_actions' );
		/**
		 * Filters whether background work runs on Action Scheduler (true) or WP-Cron (false).
		 *
		 * @param bool $use Default: whether Action Scheduler is loaded.
		 */
		return (bool) apply_filters( 'revisit_use_action_scheduler', $available );
	}

	/**
	 * Make sure `$hook` runs once, no later than `$timestamp`. Never schedules it twice.
	 *
	 * @param string $hook      Action name.
	 * @param int    $timestamp Unix time.
	 * @param array  $args      Arguments for the action.
	 */
	public function schedule( $hook, $timestamp, array $args = array() ) {
		$timestamp = max( time(), (int) $timestamp );
		if ( $this->uses_action_scheduler() ) {
			$next = as_next_scheduled_action( $hook, $args, self::GROUP );
			if ( true === $next ) {
				// Running now. Another request leaves it be: the run schedules what it leaves behind.
				// The run itself makes sure a follow-up exists.
				if ( ! doing_action( $hook ) || $this->has_pending_action( $hook, $args ) ) {
					return;
				}
				as_schedule_single_action( $timestamp, $hook, $args, self::GROUP );
				return;
			}
			if ( is_int( $next ) && $next <= $timestamp ) {
				return; // Already pending, early enough.
			}
			if ( is_int( $next ) ) {
				as_unschedule_action( $hook, $args, self::GROUP );
			}
			as_schedule_single_action( $timestamp, $hook, $args, self::GROUP );
			return;
		}
		// WP-Cron removes an event before running it, so a run sees only later events here.
		$next = wp_next_scheduled( $hook, $args );
		if ( false !== $next && $next <= $timestamp ) {
			return;
		}
		if ( false !== $next ) {
			wp_unschedule_event( $next, $hook, $args );
		}
		wp_schedule_single_event( $timestamp, $hook, $args );
	}

	/**
	 * Whether Action Scheduler has a pending (not running) `$hook`.
	 *
	 * @param string $hook Action name.
	 * @param array  $args Arguments.
	 * @return bool
	 */
	private function has_pending_action( $hook, array $args ) {
		if ( ! function_exists( 'as_get_scheduled_actions' ) ) {
			return false;
		}
		$ids = as_get_scheduled_actions(
			array(
				'hook'     => $hook,
				'args'     => $args,
				'group'    => self::GROUP,
				'status'   => 'pending',
				'per_page' => 1,
			),
			'ids'
		);
		return ! empty( $ids );
	}

	/**
	 * When `$hook` is next due, or null.
	 *
	 * @param string $hook Action name.
	 * @param array  $args Arguments.
	 * @return int|null
	 */
	public function next( $hook, array $args = array() ) {
		if ( $this->uses_action_scheduler() ) {
			$next = as_next_scheduled_action( $hook, $args, self::GROUP );
			if ( true === $next ) {
				return time();
			}
			return is_int( $next ) ? $next : null;
		}
		$next = wp_next_scheduled( $hook, $args );
		return false === $next ? null : (int) $next;
	}

	/**
	 * Make sure `$hook` runs every `$interval` seconds.
	 *
	 * @param string $hook     Action name.
	 * @param int    $interval Seconds; WP-Cron uses the `revisit_every_five_minutes` schedule.
	 */
	public function ensure_recurring( $hook, $interval ) {
		if ( $this->uses_action_scheduler() && function_exists( 'as_schedule_recurring_action' ) ) {
			if ( false === as_next_scheduled_action( $hook, array(), self::GROUP ) ) {
				as_schedule_recurring_action( time() + (int) $interval, (int) $interval, $hook, array(), self::GROUP );
			}
			return;
		}
		if ( false === wp_next_scheduled( $hook ) ) {
			wp_schedule_event( time() + (int) $interval, 'revisit_every_five_minutes', $hook );
		}
	}

	/**
	 * Remove every scheduled run of `$hook`, from both schedulers.
	 *
	 * @param string $hook Action name.
	 */
	public function unschedule_all( $hook ) {
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			as_unschedule_all_actions( $hook, null, self::GROUP );
		}
		wp_clear_scheduled_hook( $hook );
		wp_unschedule_hook( $hook );
	}

	/**
	 * Register the five-minute WP-Cron schedule.
	 *
	 * @param array $schedules Schedules.
	 * @return array
	 */
	public static function cron_schedules( $schedules ) {
		$schedules['revisit_every_five_minutes'] = array(
			'interval' => 5 * MINUTE_IN_SECONDS,
			'display'  => __( 'Every five minutes (Revisit)', 'revisit-woocommerce' ),
		);
		return $schedules;
	}
}
