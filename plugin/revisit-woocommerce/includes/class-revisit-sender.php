<?php
/**
 * The background runner: sends queued events to Revisit in batches, with retries and backoff.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Sends the outbox. Runs only in the background (Action Scheduler or WP-Cron), never while a
 * shopper waits.
 *
 * - `accepted` and `duplicate` results mark a row as sent;
 * - `rejected` keeps the row with Revisit's reason and never sends it again;
 * - no answer, 429 and 5xx keep every row pending and wait 1, 2, 4 … minutes (at most an hour,
 *   with jitter) before the next try; nothing is dropped however long Revisit is away;
 * - 401/403 pause sending until the key is changed or the connection test succeeds.
 */
class Revisit_Sender {

	const HOOK      = 'revisit_send_queue';
	const HEARTBEAT = 'revisit_heartbeat';

	/**
	 * A process that keeps running (an import, WP-CLI) checks the wake-up again after this many
	 * seconds: a send scheduled earlier may have run in another process since.
	 */
	const WAKE_REUSE = 30;

	/**
	 * Action Scheduler's WP-Cron event that runs its queue every minute, and its arguments.
	 */
	const TICK      = 'action_scheduler_run_queue';
	const TICK_ARGS = array( 'WP Cron' );

	/**
	 * When this process last made sure a send is scheduled (0: not since the last run).
	 *
	 * @var int
	 */
	private $woken = 0;

	/**
	 * Queue.
	 *
	 * @var Revisit_Queue
	 */
	private $queue;

	/**
	 * API client.
	 *
	 * @var Revisit_Api
	 */
	private $api;

	/**
	 * Scheduler.
	 *
	 * @var Revisit_Scheduler
	 */
	private $scheduler;

	/**
	 * Constructor.
	 *
	 * @param Revisit_Queue     $queue     Queue.
	 * @param Revisit_Api       $api       API client.
	 * @param Revisit_Scheduler $scheduler Scheduler.
	 */
	public function __construct( Revisit_Queue $queue, Revisit_Api $api, Revisit_Scheduler $scheduler ) {
		$this->queue     = $queue;
		$this->api       = $api;
		$this->scheduler = $scheduler;
	}

	/**
	 * The sender's state: failures in a row, when to try next, pause after 401/403.
	 *
	 * @return array
	 */
	public static function state() {
		$state = get_option( Revisit_Settings::OPTION_SENDER, array() );
		return array_merge(
			array(
				'failures'        => 0,
				'next_attempt_at' => 0,
				'last_error'      => '',
				'last_attempt_at' => 0,
				'last_success_at' => 0,
				'paused'          => false,
				'paused_status'   => 0,
				'paused_at'       => 0,
			),
			is_array( $state ) ? $state : array()
		);
	}

	/**
	 * Save part of the state.
	 *
	 * @param array $changes Keys to change.
	 */
	private static function update_state( array $changes ) {
		// Autoloaded: every queueing reads it (is sending paused?), and WordPress loads it with the others.
		update_option( Revisit_Settings::OPTION_SENDER, array_merge( self::state(), $changes ), true );
	}

	/**
	 * Clear a pause and any waiting after failures (new key, successful connection test, "send now").
	 */
	public static function resume() {
		self::update_state(
			array(
				'paused'          => false,
				'paused_status'   => 0,
				'failures'        => 0,
				'next_attempt_at' => 0,
			)
		);
		if ( Revisit_Queue::exists() ) {
			( new Revisit_Queue() )->release_waiting();
		}
	}

	/**
	 * Whether sending is paused because Revisit refused the key.
	 *
	 * @return bool
	 */
	public static function is_paused() {
		$state = self::state();
		return ! empty( $state['paused'] );
	}

	/**
	 * Most events per request (Revisit accepts 500).
	 *
	 * @return int
	 */
	public function batch_size() {
		/**
		 * Filters how many events are sent per request, 1 to 500.
		 *
		 * @param int $size Default 500.
		 */
		return max( 1, min( 500, (int) apply_filters( 'revisit_batch_size', 500 ) ) );
	}

	/**
	 * Ask for a run soon, unless sending is paused or there is no key.
	 *
	 * @param int $delay Seconds from now.
	 */
	public function nudge( $delay = 0 ) {
		if ( '' === Revisit_Settings::access_key() || self::is_paused() ) {
			return;
		}
		$state = self::state();
		$when  = max( time() + (int) $delay, (int) $state['next_attempt_at'] );
		$this->scheduler->schedule( self::HOOK, $when );
	}

	/**
	 * After an event was queued: make sure a send will run, cheaply enough for a shopper's request.
	 *
	 * Checked once per request, and again after every run of the sender in the same request (so
	 * backfill steps that queue after a send get a send of their own). With Action Scheduler the
	 * sender rides its one-minute queue tick (see tick()): WooCommerce keeps that WP-Cron event
	 * scheduled, and whether it is there is read from the autoloaded `cron` option, so queueing costs
	 * no query beyond its INSERT. Without Action Scheduler (or without its tick) the wake-up is a
	 * WP-Cron event of the sender's own, scheduled once.
	 */
	public function wake() {
		if ( $this->woken > 0 && time() - $this->woken < self::WAKE_REUSE ) {
			return;
		}
		if ( '' === Revisit_Settings::access_key() || self::is_paused() ) {
			return;
		}
		$this->woken = time();
		if ( $this->scheduler->uses_action_scheduler() && false !== wp_next_scheduled( self::TICK, self::TICK_ARGS ) ) {
			return;
		}
		$state = self::state();
		$when  = max( time(), (int) $state['next_attempt_at'] );
		$next  = wp_next_scheduled( self::HOOK );
		if ( false !== $next && $next <= $when ) {
			return; // A wake-up is due already, early enough.
		}
		if ( false !== $next ) {
			wp_unschedule_event( $next, self::HOOK );
		}
		wp_schedule_single_event( $when, self::HOOK );
	}

	/**
	 * Action Scheduler's one-minute tick (`action_scheduler_run_queue`, after its own due actions,
	 * such as backfill steps): send when something is due. One indexed SELECT when nothing is.
	 */
	public function tick() {
		if ( ! $this->scheduler->uses_action_scheduler() || '' === Revisit_Settings::access_key() ) {
			return;
		}
		$state = self::state();
		if ( ! empty( $state['paused'] ) || (int) $state['next_attempt_at'] > time() ) {
			return;
		}
		$next = $this->queue->next_due();
		if ( null !== $next && $next <= time() ) {
			$this->run();
		}
	}

	/**
	 * Forget that this process already woke the sender: the next queued event schedules a send again.
	 */
	public function reset_wake() {
		$this->woken = 0;
	}

	/**
	 * Delay before the next try after `$failures` failures in a row: 1, 2, 4 … minutes, at most an
	 * hour, up to 20% shorter at random so stores do not retry in step; Retry-After is honoured.
	 *
	 * @param int $failures    Failures in a row (1 for the first).
	 * @param int $retry_after Seconds asked by Revisit, or 0.
	 * @return int Seconds.
	 */
	public function backoff( $failures, $retry_after = 0 ) {
		/** This filter is documented in docs/plugin.md. Base delay in seconds (default 60). */
		$base = max( 0, (int) apply_filters( 'revisit_retry_base_delay', MINUTE_IN_SECONDS ) );
		/** Longest delay in seconds (default 3600). */
		$cap   = max( 1, (int) apply_filters( 'revisit_retry_max_delay', HOUR_IN_SECONDS ) );
		$power = min( 20, max( 0, (int) $failures - 1 ) );
		$delay = (int) min( $cap, $base * ( 2 ** $power ) );
		$delay = $delay - (int) floor( $delay * 0.2 * ( wp_rand( 0, 1000 ) / 1000 ) );
		if ( $retry_after > 0 ) {
			$delay = max( $delay, min( $cap, (int) $retry_after ) );
		}
		/**
		 * Filters the delay before the next try.
		 *
		 * @param int $delay    Seconds.
		 * @param int $failures Failures in a row.
		 */
		return max( 0, (int) apply_filters( 'revisit_retry_delay', $delay, (int) $failures ) );
	}

	/**
	 * Send what is due, batch after batch, for at most ~20 seconds; then schedule the next run.
	 *
	 * @return array{batches:int,sent:int,rejected:int,outcome:string}
	 */
	public function run() {
		// Whatever is queued after this run started needs a send of its own.
		$this->woken = 0;
		$summary     = array(
			'batches'  => 0,
			'sent'     => 0,
			'rejected' => 0,
			'outcome'  => 'idle',
		);
		if ( '' === Revisit_Settings::access_key() ) {
			$summary['outcome'] = 'no_key';
			return $summary;
		}
		$state = self::state();
		if ( ! empty( $state['paused'] ) ) {
			$summary['outcome'] = 'paused';
			return $summary;
		}
		if ( (int) $state['next_attempt_at'] > time() ) {
			$summary['outcome'] = 'waiting';
			$this->scheduler->schedule( self::HOOK, (int) $state['next_attempt_at'] );
			return $summary;
		}
		if ( ! $this->acquire_lock() ) {
			$summary['outcome'] = 'locked';
			return $summary;
		}
		try {
			/**
			 * Filters how long, in seconds, one run may keep sending batches.
			 *
			 * @param int $seconds Default 20.
			 */
			$deadline = microtime( true ) + max( 1, (int) apply_filters( 'revisit_sender_time_budget', 20 ) );
			$limit    = $this->batch_size();
			while ( microtime( true ) < $deadline ) {
				$rows = $this->fit( $this->queue->due( $limit ) );
				if ( ! $rows ) {
					break;
				}
				$result = $this->send_rows( $rows );
				++$summary['batches'];
				$summary['sent']     += $result['sent'];
				$summary['rejected'] += $result['rejected'];
				$summary['outcome']   = $result['outcome'];
				if ( 'too_large' === $result['outcome'] ) {
					if ( 1 === count( $rows ) ) {
						$this->queue->mark_rejected( (int) $rows[0]->id, __( 'The event is too large for Revisit (HTTP 413).', 'revisit-woocommerce' ) );
						++$summary['rejected'];
					} else {
						$limit = max( 1, intdiv( count( $rows ), 2 ) );
					}
					continue;
				}
				if ( 'ok' !== $result['outcome'] ) {
					break;
				}
				$limit = $this->batch_size();
			}
		} finally {
			$this->release_lock();
		}
		$this->schedule_next();
		return $summary;
	}

	/**
	 * Keep a batch under ~4 MB of JSON (Revisit accepts 5 MB per request).
	 *
	 * @param object[] $rows Rows, oldest first.
	 * @return object[]
	 */
	private function fit( array $rows ) {
		/**
		 * Filters the largest request body, in bytes, the sender builds.
		 *
		 * @param int $bytes Default 4 MB.
		 */
		$budget = max( 1024, (int) apply_filters( 'revisit_batch_max_bytes', 4 * MB_IN_BYTES ) );
		$kept   = array();
		$bytes  = 20;
		foreach ( $rows as $row ) {
			$size = strlen( (string) $row->payload ) + 1;
			if ( $kept && $bytes + $size > $budget ) {
				break;
			}
			$kept[] = $row;
			$bytes += $size;
		}
		return $kept;
	}

	/**
	 * Send one batch and record what happened to each row.
	 *
	 * @param object[] $rows Queue rows.
	 * @return array{outcome:string,sent:int,rejected:int}
	 */
	private function send_rows( array $rows ) {
		$result = array(
			'outcome'  => 'ok',
			'sent'     => 0,
			'rejected' => 0,
		);
		$events = array();
		$by_id  = array();
		foreach ( $rows as $row ) {
			$event = json_decode( (string) $row->payload, true );
			if ( ! is_array( $event ) ) {
				$this->queue->mark_rejected( (int) $row->id, 'The stored event could not be read.' );
				++$result['rejected'];
				continue;
			}
			$events[]                         = $event;
			$by_id[ (string) $row->event_id ] = $row;
		}
		if ( ! $events ) {
			return $result;
		}

		self::update_state( array( 'last_attempt_at' => time() ) );
		$response = $this->api->send_events( $events );
		$results  = ( $response->ok() && is_array( $response->body ) && isset( $response->body['results'] ) && is_array( $response->body['results'] ) )
			? $response->body['results']
			: null;

		if ( null !== $results ) {
			$sent = array();
			foreach ( $results as $item ) {
				$id = isset( $item['id'] ) ? (string) $item['id'] : '';
				if ( '' === $id || ! isset( $by_id[ $id ] ) ) {
					continue;
				}
				$status = isset( $item['status'] ) ? (string) $item['status'] : '';
				if ( 'accepted' === $status || 'duplicate' === $status ) {
					$sent[] = (int) $by_id[ $id ]->id;
					unset( $by_id[ $id ] );
				} elseif ( 'rejected' === $status ) {
					$reason = isset( $item['reason'] ) ? (string) $item['reason'] : 'rejected';
					$this->queue->mark_rejected( (int) $by_id[ $id ]->id, $reason );
					Revisit_Util::log( 'warning', sprintf( 'Revisit rejected event %s: %s', $id, $reason ) );
					++$result['rejected'];
					unset( $by_id[ $id ] );
				}
			}
			$this->queue->mark_sent( $sent );
			$result['sent'] = count( $sent );
			if ( $by_id ) {
				// Revisit did not report on these; try them again shortly.
				$this->queue->mark_failed( wp_list_pluck( array_values( $by_id ), 'id' ), 'No result for this event in the answer.', Revisit_Util::mysql_utc( MINUTE_IN_SECONDS ) );
			}
			$previous = self::state();
			self::update_state(
				array(
					'failures'        => 0,
					'next_attempt_at' => 0,
					'last_error'      => '',
					'last_success_at' => time(),
				)
			);
			if ( (int) $previous['failures'] > 0 ) {
				$this->queue->release_waiting();
			}
			/**
			 * Fires after a batch was delivered to Revisit.
			 *
			 * @param array[] $results Revisit's per-event results: id, status (accepted|duplicate|rejected), reason.
			 * @param array[] $events  The events that were sent.
			 */
			do_action( 'revisit_events_sent', $results, $events );
			return $result;
		}

		if ( 413 === $response->status ) {
			$result['outcome'] = 'too_large';
			return $result;
		}

		$row_ids = wp_list_pluck( $rows, 'id' );
		if ( $response->is_auth_error() ) {
			self::update_state(
				array(
					'paused'        => true,
					'paused_status' => $response->status,
					'paused_at'     => time(),
					'last_error'    => $response->describe(),
				)
			);
			Revisit_Util::log( 'error', 'Revisit refused the access key (' . $response->describe() . '); sending is paused until the key is fixed.' );
			$result['outcome'] = 'auth';
			return $result;
		}

		// No answer, 429, 5xx, or an answer we cannot use: keep everything and wait.
		$state    = self::state();
		$failures = (int) $state['failures'] + 1;
		$delay    = $this->backoff( $failures, $response->retry_after );
		$error    = $response->ok() ? 'HTTP ' . $response->status . ' without per-event results' : $response->describe();
		self::update_state(
			array(
				'failures'        => $failures,
				'next_attempt_at' => time() + $delay,
				'last_error'      => $error,
			)
		);
		$this->queue->mark_failed( $row_ids, $error, Revisit_Util::mysql_utc( $delay ) );
		Revisit_Util::log( 'warning', sprintf( 'Sending %d events failed (%s); trying again in %d seconds.', count( $events ), $error, $delay ) );
		$result['outcome'] = 'failed';
		return $result;
	}

	/**
	 * Schedule the next run for when the next row is due.
	 */
	public function schedule_next() {
		if ( self::is_paused() || '' === Revisit_Settings::access_key() ) {
			return;
		}
		$state = self::state();
		$next  = $this->queue->next_due();
		if ( null === $next ) {
			return;
		}
		$this->scheduler->schedule( self::HOOK, max( $next, (int) $state['next_attempt_at'] ) );
	}

	/**
	 * Every five minutes: a safety net for lost wake-ups, and daily pruning of old rows.
	 */
	public function heartbeat() {
		if ( ! Revisit_Queue::exists() ) {
			return;
		}
		$this->schedule_next();
		$pruned = (int) get_transient( 'revisit_pruned' );
		if ( ! $pruned ) {
			/**
			 * Filters after how many days delivered events are deleted from the queue table.
			 *
			 * @param int $days Default 30.
			 */
			$sent_days = (int) apply_filters( 'revisit_prune_after_days', 30 );
			/**
			 * Filters after how many days rejected events are deleted from the queue table.
			 *
			 * @param int $days Default 90.
			 */
			$rejected_days = (int) apply_filters( 'revisit_prune_rejected_after_days', 90 );
			$this->queue->prune( $sent_days, $rejected_days );
			set_transient( 'revisit_pruned', time(), DAY_IN_SECONDS );
		}
	}

	/**
	 * Take the run lock (an atomic INSERT into the options table; stale after two minutes).
	 *
	 * @return bool
	 */
	private function acquire_lock() {
		global $wpdb;
		$until = (string) ( time() + 2 * MINUTE_IN_SECONDS + Revisit_Api::background_timeout() );
		$added = $wpdb->query(
			$wpdb->prepare(
				"INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'no')",
				Revisit_Settings::OPTION_LOCK,
				$until
			)
		);
		if ( 1 === $added ) {
			return true;
		}
		$taken = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$wpdb->options} SET option_value = %s WHERE option_name = %s AND CAST(option_value AS UNSIGNED) < %d",
				$until,
				Revisit_Settings::OPTION_LOCK,
				time()
			)
		);
		return 1 === $taken;
	}

	/**
	 * Let go of the run lock.
	 */
	private function release_lock() {
		global $wpdb;
		$wpdb->delete( $wpdb->options, array( 'option_name' => Revisit_Settings::OPTION_LOCK ), array( '%s' ) );
		wp_cache_delete( Revisit_Settings::OPTION_LOCK, 'options' );
	}
}
