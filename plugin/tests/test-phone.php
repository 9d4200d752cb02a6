<?php
/**
 * Phone resolution order (order, Digits, Digits parts, billing, filter) and digit normalisation.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Phones.
 */
class Phone_Test extends Revisit_TestCase {

	public function test_persian_and_arabic_digits_become_ascii() {
		$this->assertSame( '09121234567', Revisit_Phone::normalize( '۰۹۱۲۱۲۳۴۵۶۷' ) );
		$this->assertSame( '09121234567', Revisit_Phone::normalize( '٠٩١٢١٢٣٤٥٦٧' ) );
		$this->assertSame( '09121234567', Revisit_Phone::normalize( '۰۹۱۲ ۱۲۳ ۴۵۶۷' ) );
		$this->assertSame( '+989121234567', Revisit_Phone::normalize( '+98 (912) 123-4567' ) );
		$this->assertSame( '+989121234567', Revisit_Phone::normalize( "\u{200F}+۹۸ ۹۱۲\u{200C}۱۲۳۴۵۶۷\u{200E}" ) );
		$this->assertSame( '00989121234567', Revisit_Phone::normalize( '0098 912 123 4567' ) );
		$this->assertSame( '', Revisit_Phone::normalize( '' ) );
		$this->assertSame( '', Revisit_Phone::normalize( ' - ' ) );
		$this->assertSame( '', Revisit_Phone::normalize( array( '0912' ) ) );
		$this->assertSame( '1250000', Revisit_Util::amount( '۱۲۵۰۰۰۰', 0 ), 'Amounts typed in Persian digits too.' );
	}

	public function test_resolution_order_order_then_digits_then_digits_parts_then_billing_then_filter() {
		$user_id = $this->customer(
			array(
				'digits_phone'     => '+98 912 000 0001',
				'digt_countrycode' => '+98',
				'digits_phone_no'  => '۹۱۲۰۰۰۰۰۰۲',
				'billing_phone'    => '09120000003',
			)
		);
		$order   = $this->order(
			array(
				'customer_id'   => $user_id,
				'billing_phone' => '۰۹۱۲۰۰۰۰۰۰۰',
			)
		);
		$this->assertSame( '09120000000', Revisit_Phone::resolve( $user_id, $order ), '1. the order\'s billing phone' );
		$order->set_billing_phone( '' );
		$this->assertSame( '+989120000001', Revisit_Phone::resolve( $user_id, $order ), '2. digits_phone' );
		delete_user_meta( $user_id, 'digits_phone' );
		$this->assertSame( '+989120000002', Revisit_Phone::resolve( $user_id, $order ), '3. digt_countrycode + digits_phone_no' );
		delete_user_meta( $user_id, 'digits_phone_no' );
		$this->assertSame( '09120000003', Revisit_Phone::resolve( $user_id, $order ), '4. billing_phone' );
		delete_user_meta( $user_id, 'billing_phone' );
		$this->assertSame( '', Revisit_Phone::resolve( $user_id, $order ) );

		$this->filter(
			'revisit_customer_phone',
			static function ( $phone, $uid, $the_order ) use ( $user_id ) {
				return ( '' === $phone && $uid === $user_id && $the_order ) ? '۰۹۱۲۰۰۰۰۰۰۴' : $phone;
			},
			10,
			3
		);
		$this->assertSame( '09120000004', Revisit_Phone::resolve( $user_id, $order ), '5. the filter, normalised too' );
	}

	public function test_digits_parts_are_joined_without_the_trunk_zero() {
		$user_id = $this->customer(
			array(
				'digt_countrycode' => '98',
				'digits_phone_no'  => '09121234567',
			)
		);
		$this->assertSame( '+989121234567', Revisit_Phone::from_digits( $user_id ) );
		update_user_meta( $user_id, 'digits_phone_no', '+989121234567' );
		$this->assertSame( '+989121234567', Revisit_Phone::from_digits( $user_id ) );
		delete_user_meta( $user_id, 'digt_countrycode' );
		update_user_meta( $user_id, 'digits_phone_no', '09121234567' );
		$this->assertSame( '09121234567', Revisit_Phone::from_digits( $user_id ) );
	}

	public function test_the_filter_can_replace_any_phone() {
		$this->filter(
			'revisit_customer_phone',
			static function () {
				return '+۴۴ ۷۷۰۰ ۹۰۰۰۰۰';
			}
		);
		$this->order();
		$this->end_request();
		$this->assertSame( '+447700900000', $this->queued()[0]['data']['customer']['phone'] );
		$this->assertSame( '09121234567', $this->queued()[0]['data']['billing']['phone'], 'The billing phone stays as typed (cleaned).' );
	}
}
