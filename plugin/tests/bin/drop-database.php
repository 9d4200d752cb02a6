<?php
/**
 * Drop a test database (the end of a run: run.sh and the end-to-end test call it, whatever happened).
 * No error when it is already gone or MariaDB cannot be reached.
 *
 * Usage: REVISIT_WP_DB_NAME=… [REVISIT_WP_DB_HOST, _PORT, _USER, _PASSWORD] php drop-database.php
 *
 * @package Revisit\WooCommerce\Tests
 */

// phpcs:disable WordPress -- runs without WordPress.

$name = (string) getenv( 'REVISIT_WP_DB_NAME' );
if ( '' === $name ) {
	fwrite( STDERR, "Set REVISIT_WP_DB_NAME to the database to drop.\n" );
	exit( 2 );
}
mysqli_report( MYSQLI_REPORT_OFF );
$mysqli = @new mysqli(
	getenv( 'REVISIT_WP_DB_HOST' ) ?: '127.0.0.1',
	getenv( 'REVISIT_WP_DB_USER' ) ?: 'root',
	(string) getenv( 'REVISIT_WP_DB_PASSWORD' ),
	'',
	(int) ( getenv( 'REVISIT_WP_DB_PORT' ) ?: 3306 )
);
if ( $mysqli->connect_errno ) {
	exit( 0 );
}
$mysqli->query( 'DROP DATABASE IF EXISTS `' . str_replace( '`', '', $name ) . '`' );
