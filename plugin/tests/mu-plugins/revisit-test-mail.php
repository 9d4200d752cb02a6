<?php
/**
 * Plugin Name: Revisit tests: no mail server
 * Description: Test machines have no mail server: WordPress's and WooCommerce's e-mails (new account, order received, refunded…) are built as usual and kept in $GLOBALS['revisit_test_mails'] instead of being handed to sendmail. Linked into the test site's mu-plugins by plugin/tests/bin/make-site.sh; never shipped.
 *
 * @package Revisit\WooCommerce\Tests
 */

defined( 'ABSPATH' ) || exit;

$GLOBALS['revisit_test_mails'] = array();

add_filter(
	'pre_wp_mail',
	static function ( $short_circuit, $mail ) {
		$GLOBALS['revisit_test_mails'][] = array(
			'to'      => $mail['to'],
			'subject' => $mail['subject'],
		);
		return true;
	},
	10,
	2
);
