<?php
/**
 * Must-use plugin for the screenshot environment ONLY (plugin/tools/screenshots.sh loads it from a
 * temporary mu-plugins folder, next to the WooCommerce stand-in). Never shipped, never loaded by
 * the tests. It changes one thing, through a documented filter:
 *
 * The stand-in's Action Scheduler keeps its queue in memory for the length of one PHP request, so a
 * step scheduled from a web request would be forgotten. The plugin is therefore told to use
 * WP-Cron (`revisit_use_action_scheduler` → false), which it supports and which keeps its schedule in
 * the database; screenshots.sh then runs wp-cron.php by hand, exactly like the real cron job that
 * docs/plugin.md recommends. Nothing else is faked: the plugin, WordPress and the Revisit server the
 * plugin talks to are the real ones.
 *
 * There is no auto-login: screenshots.sh signs in through wp-login.php with a browser.
 *
 * @package Revisit\WooCommerce\Tools
 */

defined( 'ABSPATH' ) || exit;

add_filter( 'revisit_use_action_scheduler', '__return_false' );
