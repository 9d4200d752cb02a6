<?php
/**
 * Must-use plugin for the screenshot environment ONLY (plugin/tools/screenshots.sh loads it from the
 * screenshot site's mu-plugins folder). Never shipped, never loaded by the tests. It changes one
 * thing, through a documented filter:
 *
 * With Action Scheduler, the backfill's steps run when WP-Cron's `action_scheduler_run_queue` event
 * is due, once a minute: screenshots.sh's quick wp-cron.php passes would run it once and then wait.
 * The plugin is therefore told to use WP-Cron itself (`revisit_use_action_scheduler` → false), which
 * it supports: each wp-cron.php pass, which screenshots.sh makes by hand exactly like the real cron
 * job that docs/plugin.md recommends, runs the step that is due. Nothing else is faked: the plugin, WordPress,
 * WooCommerce and the Revisit server the plugin talks to are the real ones.
 *
 * There is no auto-login: screenshots.sh signs in through wp-login.php with a browser.
 *
 * @package Revisit\WooCommerce\Tools
 */

defined( 'ABSPATH' ) || exit;

add_filter( 'revisit_use_action_scheduler', '__return_false' );
