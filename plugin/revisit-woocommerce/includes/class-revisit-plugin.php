<?php
/**
 * Wiring: builds the parts once and attaches them to WordPress.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * The plugin.
 */
final class Revisit_Plugin {

	/**
	 * The one instance.
	 *
	 * @var Revisit_Plugin|null
	 */
	private static $instance = null;

	/**
	 * Parts.
	 *
	 * @var Revisit_Api
	 */
	public $api;

	/**
	 * Queue.
	 *
	 * @var Revisit_Queue
	 */
	public $queue;

	/**
	 * Scheduler.
	 *
	 * @var Revisit_Scheduler
	 */
	public $scheduler;

	/**
	 * Sender.
	 *
	 * @var Revisit_Sender
	 */
	public $sender;

	/**
	 * Events.
	 *
	 * @var Revisit_Events
	 */
	public $events;

	/**
	 * Tracker.
	 *
	 * @var Revisit_Tracker
	 */
	public $tracker;

	/**
	 * Backfill.
	 *
	 * @var Revisit_Backfill
	 */
	public $backfill;

	/**
	 * Checkout credit.
	 *
	 * @var Revisit_Credit
	 */
	public $credit;

	/**
	 * Coupons.
	 *
	 * @var Revisit_Coupons
	 */
	public $coupons;

	/**
	 * Admin.
	 *
	 * @var Revisit_Admin
	 */
	public $admin;

	/**
	 * The instance.
	 *
	 * @return Revisit_Plugin
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Build the parts.
	 */
	private function __construct() {
		$this->api       = new Revisit_Api();
		$this->queue     = new Revisit_Queue();
		$this->scheduler = new Revisit_Scheduler();
		$this->sender    = new Revisit_Sender( $this->queue, $this->api, $this->scheduler );
		$this->events    = new Revisit_Events( $this->queue, $this->sender );
		$this->tracker   = new Revisit_Tracker( $this->events );
		$this->backfill  = new Revisit_Backfill( $this->events, $this->scheduler );
		$this->credit    = new Revisit_Credit( $this->api, $this->scheduler );
		$this->coupons   = new Revisit_Coupons( $this->api );
		$this->admin     = new Revisit_Admin( $this->api, $this->queue, $this->sender, $this->backfill );
	}

	/**
	 * Attach to WordPress (called once, when the plugin file loads).
	 */
	public function boot() {
		add_action( 'init', array( $this, 'load_textdomain' ), 0 );
		add_filter( 'cron_schedules', array( 'Revisit_Scheduler', 'cron_schedules' ) ); // phpcs:ignore WordPress.WP.CronInterval.CronSchedulesInterval -- five minutes.
		add_action( 'plugins_loaded', array( $this, 'on_plugins_loaded' ), 20 );
		if ( is_admin() ) {
			$this->admin->register();
		}
	}

	/**
	 * After all plugins loaded: upgrade the table if needed, then attach to WooCommerce.
	 */
	public function on_plugins_loaded() {
		self::maybe_upgrade();
		if ( ! class_exists( 'WooCommerce' ) ) {
			return; // The admin notice explains; nothing to listen to.
		}
		$this->tracker->register();
		$this->credit->register();
		$this->coupons->register();
		add_action( Revisit_Sender::HOOK, array( $this->sender, 'run' ) );
		add_action( Revisit_Sender::TICK, array( $this->sender, 'tick' ), 20 );
		add_action( Revisit_Sender::HEARTBEAT, array( $this, 'heartbeat' ) );
		add_action( Revisit_Backfill::HOOK, array( $this->backfill, 'step' ) );
		add_action( 'init', array( $this, 'ensure_heartbeat' ), 20 );
	}

	/**
	 * Load translations from the plugin's languages folder (WordPress.org language packs win).
	 */
	public function load_textdomain() {
		load_plugin_textdomain( 'revisit-woocommerce', false, dirname( plugin_basename( REVISIT_WC_FILE ) ) . '/languages' );
	}

	/**
	 * The five-minute safety net: lost wake-ups, stalled backfills, pruning.
	 */
	public function heartbeat() {
		$this->sender->heartbeat();
		$this->backfill->ensure_scheduled();
	}

	/**
	 * Keep the heartbeat scheduled (only in admin and cron requests, to stay cheap on the storefront).
	 */
	public function ensure_heartbeat() {
		if ( ! ( is_admin() || wp_doing_cron() ) || '' === Revisit_Settings::access_key() ) {
			return;
		}
		$this->scheduler->ensure_recurring( Revisit_Sender::HEARTBEAT, 5 * MINUTE_IN_SECONDS );
	}

	/**
	 * Activation: create the queue table.
	 *
	 * @param bool $network_wide Activated for the whole network.
	 */
	public static function activate( $network_wide = false ) {
		if ( is_multisite() && $network_wide ) {
			foreach ( get_sites( array( 'fields' => 'ids' ) ) as $site_id ) {
				switch_to_blog( $site_id );
				self::install();
				restore_current_blog();
			}
			return;
		}
		self::install();
	}

	/**
	 * Create or upgrade the table and remember the schema version.
	 */
	public static function install() {
		Revisit_Queue::install();
		update_option( Revisit_Settings::OPTION_DB_VERSION, REVISIT_WC_DB_VERSION, true );
		Revisit_Settings::remember_connected_store();
		// Read on every request (version 1 stored them without autoload).
		foreach ( array( Revisit_Settings::OPTION_DB_VERSION, Revisit_Settings::OPTION_KEY, Revisit_Settings::OPTION_SENDER ) as $option ) {
			Revisit_Settings::autoload( $option );
		}
	}

	/**
	 * Run install() when the stored schema version is not this plugin's (updates do not run the
	 * activation hook).
	 */
	public static function maybe_upgrade() {
		if ( REVISIT_WC_DB_VERSION !== get_option( Revisit_Settings::OPTION_DB_VERSION ) ) {
			self::install();
		}
	}

	/**
	 * Deactivation: stop background work (the queue and settings stay until uninstall).
	 */
	public static function deactivate() {
		$scheduler = new Revisit_Scheduler();
		foreach ( array( Revisit_Sender::HOOK, Revisit_Sender::HEARTBEAT, Revisit_Backfill::HOOK, Revisit_Credit::RELEASE_HOOK ) as $hook ) {
			$scheduler->unschedule_all( $hook );
		}
	}
}
