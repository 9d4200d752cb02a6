<?php
/**
 * Action Scheduler's public functions (bundled with WooCommerce), backed by an in-memory list.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * The list of pending actions, and a runner for tests.
 */
final class ActionScheduler_StandIn {

	/**
	 * Actions: [hook, args, group, timestamp, interval, status (pending|running)].
	 *
	 * @var array
	 */
	public static $actions = array();

	/**
	 * Whether an action matches.
	 *
	 * @param array      $action Action.
	 * @param string     $hook   Hook.
	 * @param array|null $args   Args (null: any; an array must match exactly, as in Action Scheduler).
	 * @param string     $group  Group ('' any).
	 * @return bool
	 */
	public static function matches( $action, $hook, $args, $group ) {
		return $action['hook'] === $hook
			&& ( null === $args || $action['args'] === (array) $args )
			&& ( '' === (string) $group || $action['group'] === $group );
	}

	/**
	 * Run the actions due at `$now` (default: now), as Action Scheduler's queue runner would: an
	 * action is "running" (in-progress) while its hook runs, then it is done (a recurring one is
	 * scheduled again).
	 *
	 * @param int|null $now Time.
	 * @return int Actions run.
	 */
	public static function run_due( $now = null ) {
		$now = null === $now ? time() : (int) $now;
		$ran = 0;
		foreach ( array_keys( self::$actions ) as $index ) {
			if ( ! isset( self::$actions[ $index ] ) || 'pending' !== self::$actions[ $index ]['status'] || self::$actions[ $index ]['timestamp'] > $now ) {
				continue;
			}
			$action                            = self::$actions[ $index ];
			self::$actions[ $index ]['status'] = 'running';
			do_action_ref_array( $action['hook'], array_values( $action['args'] ) );
			unset( self::$actions[ $index ] );
			if ( $action['interval'] ) {
				$action['timestamp'] = $now + $action['interval'];
				self::$actions[]     = $action;
			}
			++$ran;
		}
		return $ran;
	}

	/**
	 * Pending actions of a hook.
	 *
	 * @param string $hook Hook.
	 * @return array
	 */
	public static function pending( $hook ) {
		return array_values(
			array_filter(
				self::$actions,
				static function ( $action ) use ( $hook ) {
					return $hook === $action['hook'] && 'pending' === $action['status'];
				}
			)
		);
	}
}

/**
 * Schedule an action once.
 *
 * @param int    $timestamp When.
 * @param string $hook      Hook.
 * @param array  $args      Args.
 * @param string $group     Group.
 * @param bool   $unique    Unique.
 * @return int Action id.
 */
function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false ) {
	if ( $unique && as_get_scheduled_actions( array( 'hook' => $hook, 'args' => $args, 'group' => $group, 'status' => 'pending' ), 'ids' ) ) {
		return 0;
	}
	ActionScheduler_StandIn::$actions[] = array(
		'hook'      => $hook,
		'args'      => (array) $args,
		'group'     => (string) $group,
		'timestamp' => (int) $timestamp,
		'interval'  => 0,
		'status'    => 'pending',
	);
	return count( ActionScheduler_StandIn::$actions );
}

/**
 * Schedule a recurring action.
 *
 * @param int    $timestamp First run.
 * @param int    $interval  Seconds.
 * @param string $hook      Hook.
 * @param array  $args      Args.
 * @param string $group     Group.
 * @return int Action id.
 */
function as_schedule_recurring_action( $timestamp, $interval, $hook, $args = array(), $group = '' ) {
	ActionScheduler_StandIn::$actions[] = array(
		'hook'      => $hook,
		'args'      => (array) $args,
		'group'     => (string) $group,
		'timestamp' => (int) $timestamp,
		'interval'  => (int) $interval,
		'status'    => 'pending',
	);
	return count( ActionScheduler_StandIn::$actions );
}

/**
 * Enqueue an action to run as soon as possible.
 *
 * @param string $hook  Hook.
 * @param array  $args  Args.
 * @param string $group Group.
 * @return int Action id.
 */
function as_enqueue_async_action( $hook, $args = array(), $group = '' ) {
	return as_schedule_single_action( time(), $hook, $args, $group );
}

/**
 * When the next matching action is due: true while one is running (as Action Scheduler answers
 * for an in-progress action), else the earliest pending time, else false.
 *
 * @param string     $hook  Hook.
 * @param array|null $args  Args.
 * @param string     $group Group.
 * @return int|bool
 */
function as_next_scheduled_action( $hook, $args = null, $group = '' ) {
	$next = false;
	foreach ( ActionScheduler_StandIn::$actions as $action ) {
		if ( ! ActionScheduler_StandIn::matches( $action, $hook, $args, $group ) ) {
			continue;
		}
		if ( 'running' === $action['status'] ) {
			return true;
		}
		if ( false === $next || $action['timestamp'] < $next ) {
			$next = $action['timestamp'];
		}
	}
	return $next;
}

/**
 * Find actions (only the ids format is imitated).
 *
 * @param array  $args          hook, args, group, status, per_page.
 * @param string $return_format ids.
 * @return int[]
 */
function as_get_scheduled_actions( $args = array(), $return_format = OBJECT ) {
	$found = array();
	foreach ( ActionScheduler_StandIn::$actions as $index => $action ) {
		if ( isset( $args['hook'] ) && ! ActionScheduler_StandIn::matches( $action, $args['hook'], isset( $args['args'] ) ? $args['args'] : null, isset( $args['group'] ) ? $args['group'] : '' ) ) {
			continue;
		}
		if ( isset( $args['status'] ) && '' !== $args['status'] && $action['status'] !== $args['status'] ) {
			continue;
		}
		$found[] = $index;
	}
	if ( isset( $args['per_page'] ) && $args['per_page'] > 0 ) {
		$found = array_slice( $found, 0, (int) $args['per_page'] );
	}
	return $found;
}

/**
 * Cancel the next matching action.
 *
 * @param string     $hook  Hook.
 * @param array|null $args  Args.
 * @param string     $group Group.
 */
function as_unschedule_action( $hook, $args = array(), $group = '' ) {
	foreach ( ActionScheduler_StandIn::$actions as $index => $action ) {
		if ( 'pending' === $action['status'] && ActionScheduler_StandIn::matches( $action, $hook, $args, $group ) ) {
			unset( ActionScheduler_StandIn::$actions[ $index ] );
			return;
		}
	}
}

/**
 * Cancel every matching action.
 *
 * @param string     $hook  Hook.
 * @param array|null $args  Args.
 * @param string     $group Group.
 */
function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
	foreach ( ActionScheduler_StandIn::$actions as $index => $action ) {
		if ( 'pending' === $action['status'] && ActionScheduler_StandIn::matches( $action, $hook, empty( $args ) ? null : $args, $group ) ) {
			unset( ActionScheduler_StandIn::$actions[ $index ] );
		}
	}
}
