<?php
/**
 * Write the tests' wp-config.php: database from REVISIT_WP_DB_* (127.0.0.1, root, no password by
 * default), WordPress core from bin/wordpress.sh (6.5.5), the run's own wp-content, plugins folder
 * (WooCommerce and the Revisit plugin, see bin/make-site.sh) and must-use plugins folder, outbound
 * HTTP limited to 127.0.0.1.
 *
 * Usage: php write-config.php <target> <wp core dir> <wp-content dir> <plugins dir> <mu-plugins dir>
 *
 * @package Revisit\WooCommerce\Tests
 */

// phpcs:disable WordPress -- runs before WordPress.

if ( $argc < 6 ) {
	fwrite( STDERR, "usage: php write-config.php <target> <core> <content> <plugins> <mu-plugins>\n" );
	exit( 2 );
}
list( , $target, $core, $content, $plugins, $mu_plugins ) = $argv;

$constants = array(
	'DB_NAME'                 => getenv( 'REVISIT_WP_DB_NAME' ) ?: 'revisit_wp_test',
	'DB_USER'                 => getenv( 'REVISIT_WP_DB_USER' ) ?: 'root',
	'DB_PASSWORD'             => (string) getenv( 'REVISIT_WP_DB_PASSWORD' ),
	'DB_HOST'                 => ( getenv( 'REVISIT_WP_DB_HOST' ) ?: '127.0.0.1' ) . ':' . ( getenv( 'REVISIT_WP_DB_PORT' ) ?: '3306' ),
	'DB_CHARSET'              => 'utf8mb4',
	'DB_COLLATE'              => '',
	'ABSPATH'                 => rtrim( $core, '/' ) . '/',
	'WP_CONTENT_DIR'          => rtrim( $content, '/' ),
	'WP_PLUGIN_DIR'           => rtrim( $plugins, '/' ),
	'WPMU_PLUGIN_DIR'         => rtrim( $mu_plugins, '/' ),
	'WP_LANG_DIR'             => rtrim( $content, '/' ) . '/languages',
	'WP_DEBUG'                => true,
	'WP_DEBUG_DISPLAY'        => true,
	'WP_DEBUG_LOG'            => false,
	'SCRIPT_DEBUG'            => false,
	'DISABLE_WP_CRON'         => true,
	'WP_HTTP_BLOCK_EXTERNAL'  => true,
	'WP_ACCESSIBLE_HOSTS'     => '127.0.0.1',
	'AUTOMATIC_UPDATER_DISABLED' => true,
	'WP_AUTO_UPDATE_CORE'     => false,
	'WP_ALLOW_MULTISITE'      => false,
	'AUTH_KEY'                => 'revisit-tests-auth',
	'SECURE_AUTH_KEY'         => 'revisit-tests-secure-auth',
	'LOGGED_IN_KEY'           => 'revisit-tests-logged-in',
	'NONCE_KEY'               => 'revisit-tests-nonce',
	'AUTH_SALT'               => 'revisit-tests-auth-salt',
	'SECURE_AUTH_SALT'        => 'revisit-tests-secure-auth-salt',
	'LOGGED_IN_SALT'          => 'revisit-tests-logged-in-salt',
	'NONCE_SALT'              => 'revisit-tests-nonce-salt',
);

$php = "<?php\n// Written by plugin/tests/bin/write-config.php for the plugin's tests. Loads no WordPress by itself.\n";
foreach ( $constants as $name => $value ) {
	$php .= sprintf( "if ( ! defined( %s ) ) { define( %s, %s ); }\n", var_export( $name, true ), var_export( $name, true ), var_export( $value, true ) );
}
$php .= "\$table_prefix = 'wptests_';\n";
file_put_contents( $target, $php );
echo "written: $target\n";
