<?php
/**
 * The outbox: every event is a row in `{prefix}revisit_queue` until Revisit has it.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Table access. All SQL is prepared; the table name comes from $wpdb->prefix only.
 */
class Revisit_Queue {

	const STATUS_PENDING  = 'pending';
	const STATUS_SENT     = 'sent';
	const STATUS_REJECTED = 'rejected';

	/**
	 * The table's name.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'revisit_queue';
	}

	/**
	 * Create or upgrade the table (dbDelta keeps existing rows).
	 */
	public static function install() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$table   = self::table();
		$charset = $wpdb->get_charset_collate();
		// dbDelta's format: two spaces after PRIMARY KEY, one column or key per line.
		$sql = "CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  event_id varchar(128) NOT NULL,
  type varchar(64) NOT NULL,
  payload longtext NOT NULL,
  status varchar(20) NOT NULL DEFAULT 'pending',
  attempts int(10) unsigned NOT NULL DEFAULT 0,
  next_attempt_at datetime NOT NULL,
  last_error text NULL,
  created_at datetime NOT NULL,
  sent_at datetime NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY event_id (event_id),
  KEY status_next (status,next_attempt_at),
  KEY status_sent (status,sent_at)
) {$charset};";
		dbDelta( $sql );
	}

	/**
	 * Whether the table exists.
	 *
	 * @return bool
	 */
	public static function exists() {
		global $wpdb;
		$table = self::table();
		return $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) );
	}

	/**
	 * Add an event. An id that is already queued (sent or not) is ignored: ids are stable, so the
	 * same event queued twice is one event.
	 *
	 * @param string $event_id Stable event id.
	 * @param string $type     Event type.
	 * @param array  $envelope The whole event as sent.
	 * @return bool True when a new row was added.
	 */
	public function add( $event_id, $type, array $envelope ) {
		global $wpdb;
		// Stored with \u escapes: an ASCII-only INSERT spares wpdb the column introspection
		// (SHOW FULL COLUMNS) it runs before any query with other characters in it. The sender decodes it.
		$payload = wp_json_encode( $envelope, JSON_UNESCAPED_SLASHES );
		if ( false === $payload ) {
			Revisit_Util::log( 'error', sprintf( 'Event %s could not be encoded as JSON; not queued.', $event_id ) );
			return false;
		}
		$now    = Revisit_Util::mysql_utc();
		$table  = self::table();
		$result = $wpdb->query(
			$wpdb->prepare(
				"INSERT IGNORE INTO {$table} (event_id, type, payload, status, attempts, next_attempt_at, created_at) VALUES (%s, %s, %s, %s, 0, %s, %s)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$event_id,
				$type,
				$payload,
				self::STATUS_PENDING,
				$now,
				$now
			)
		);
		return 1 === $result;
	}

	/**
	 * Pending rows whose time has come, oldest first.
	 *
	 * @param int $limit Most rows.
	 * @return object[] Rows with id, event_id, type, payload, attempts.
	 */
	public function due( $limit ) {
		global $wpdb;
		$table = self::table();
		return (array) $wpdb->get_results(
			$wpdb->prepare(
				"SELECT id, event_id, type, payload, attempts FROM {$table} WHERE status = %s AND next_attempt_at <= %s ORDER BY id ASC LIMIT %d", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				self::STATUS_PENDING,
				Revisit_Util::mysql_utc(),
				max( 1, (int) $limit )
			)
		);
	}

	/**
	 * Revisit has these events (accepted now, or before: duplicate).
	 *
	 * @param int[] $ids Row ids.
	 */
	public function mark_sent( array $ids ) {
		global $wpdb;
		$ids = array_values( array_filter( array_map( 'intval', $ids ) ) );
		if ( ! $ids ) {
			return;
		}
		$table        = self::table();
		$placeholders = implode( ',', array_fill( 0, count( $ids ), '%d' ) );
		$wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET status = %s, sent_at = %s, last_error = NULL, attempts = attempts + 1 WHERE id IN ({$placeholders})", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				array_merge( array( self::STATUS_SENT, Revisit_Util::mysql_utc() ), $ids )
			)
		);
	}

	/**
	 * Revisit refused this event as invalid: keep it, with the reason, and never send it again.
	 *
	 * @param int    $id     Row id.
	 * @param string $reason Revisit's reason.
	 */
	public function mark_rejected( $id, $reason ) {
		global $wpdb;
		$table = self::table();
		$wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET status = %s, last_error = %s, sent_at = %s, attempts = attempts + 1 WHERE id = %d", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				self::STATUS_REJECTED,
				substr( (string) $reason, 0, 2000 ),
				Revisit_Util::mysql_utc(),
				(int) $id
			)
		);
	}

	/**
	 * These rows could not be delivered: try again at `$next_at` (UTC MySQL datetime).
	 *
	 * @param int[]  $ids     Row ids.
	 * @param string $error   Why.
	 * @param string $next_at When to try again.
	 */
	public function mark_failed( array $ids, $error, $next_at ) {
		global $wpdb;
		$ids = array_values( array_filter( array_map( 'intval', $ids ) ) );
		if ( ! $ids ) {
			return;
		}
		$table        = self::table();
		$placeholders = implode( ',', array_fill( 0, count( $ids ), '%d' ) );
		$wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET attempts = attempts + 1, last_error = %s, next_attempt_at = %s WHERE status = %s AND id IN ({$placeholders})", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				array_merge( array( substr( (string) $error, 0, 2000 ), $next_at, self::STATUS_PENDING ), $ids )
			)
		);
	}

	/**
	 * Revisit is reachable again: everything pending is due now.
	 */
	public function release_waiting() {
		global $wpdb;
		$table = self::table();
		$now   = Revisit_Util::mysql_utc();
		$wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET next_attempt_at = %s WHERE status = %s AND next_attempt_at > %s", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$now,
				self::STATUS_PENDING,
				$now
			)
		);
	}

	/**
	 * Unix time of the earliest pending row, or null when nothing is pending.
	 *
	 * @return int|null
	 */
	public function next_due() {
		global $wpdb;
		$table = self::table();
		$value = $wpdb->get_var( $wpdb->prepare( "SELECT MIN(next_attempt_at) FROM {$table} WHERE status = %s", self::STATUS_PENDING ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( ! $value ) {
			return null;
		}
		return (int) strtotime( $value . ' UTC' );
	}

	/**
	 * How many rows in each status.
	 *
	 * @return array{pending:int,sent:int,rejected:int}
	 */
	public function counts() {
		global $wpdb;
		$counts = array(
			self::STATUS_PENDING  => 0,
			self::STATUS_SENT     => 0,
			self::STATUS_REJECTED => 0,
		);
		$table  = self::table();
		$rows   = (array) $wpdb->get_results( "SELECT status, COUNT(*) AS n FROM {$table} GROUP BY status" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		foreach ( $rows as $row ) {
			$counts[ $row->status ] = (int) $row->n;
		}
		return $counts;
	}

	/**
	 * The most recent rejections, for the settings page.
	 *
	 * @param int $limit Rows.
	 * @return object[] event_id, type, last_error, sent_at.
	 */
	public function recent_rejections( $limit = 5 ) {
		global $wpdb;
		$table = self::table();
		return (array) $wpdb->get_results(
			$wpdb->prepare(
				"SELECT event_id, type, last_error, sent_at FROM {$table} WHERE status = %s ORDER BY id DESC LIMIT %d", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				self::STATUS_REJECTED,
				max( 1, (int) $limit )
			)
		);
	}

	/**
	 * Delete every row, whatever its status (the store was connected to another Revisit store).
	 *
	 * @return int Rows deleted.
	 */
	public function clear() {
		global $wpdb;
		$table = self::table();
		return (int) $wpdb->query( "DELETE FROM {$table}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- no input.
	}

	/**
	 * Delete delivered rows older than `$sent_days` and rejected rows older than `$rejected_days`.
	 * Pending rows are never deleted.
	 *
	 * @param int $sent_days     Days to keep sent rows.
	 * @param int $rejected_days Days to keep rejected rows.
	 * @return int Rows deleted.
	 */
	public function prune( $sent_days, $rejected_days ) {
		global $wpdb;
		$table   = self::table();
		$deleted = 0;
		foreach ( array(
			self::STATUS_SENT     => $sent_days,
			self::STATUS_REJECTED => $rejected_days,
		) as $status => $days ) {
			$deleted += (int) $wpdb->query(
				$wpdb->prepare(
					"DELETE FROM {$table} WHERE status = %s AND sent_at < %s LIMIT 5000", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					$status,
					Revisit_Util::mysql_utc( -DAY_IN_SECONDS * max( 1, (int) $days ) )
				)
			);
		}
		return $deleted;
	}
}
