<?php
/**
 * Customers: WordPress, WooCommerce and Digits sign-ups; one event per real change.
 *
 * @package Revisit\WooCommerce\Tests
 */

/**
 * Customers and phones.
 */
class Customers_Test extends Revisit_TestCase {

	/**
	 * A Digits sign-up, in Digits' order: the account first, then the phone meta, then its action.
	 *
	 * @return int User id.
	 */
	private function digits_signup() {
		$user_id = wp_insert_user(
			array(
				'user_login' => 'digits_' . wp_generate_password( 8, false ),
				'user_pass'  => wp_generate_password(),
				'user_email' => '',
				'role'       => 'customer',
			)
		);
		update_user_meta( $user_id, 'digt_countrycode', '+98' );
		update_user_meta( $user_id, 'digits_phone_no', '9121234567' );
		update_user_meta( $user_id, 'digits_phone', '+989121234567' );
		do_action( 'digits_user_created', $user_id );
		return $user_id;
	}

	public function test_a_digits_signup_is_one_customer_created_event_with_the_digits_phone() {
		$user_id = $this->digits_signup();
		$this->end_request();

		$rows = $this->rows();
		$this->assertCount( 1, $rows, 'user_register, the meta writes and digits_user_created make one event.' );
		$this->assertSame( 'customer.created', $rows[0]->type );
		$data = json_decode( $rows[0]->payload, true )['data'];
		$this->assertSame( (string) $user_id, $data['external_id'] );
		$this->assertSame( '+989121234567', $data['phone'] );
		$this->assertNull( $data['email'] );
		$this->assertMatchesRegularExpression( '/\+03:30$/', $data['created_at'] );
		$this->assertNotEmpty( get_user_meta( $user_id, Revisit_Events::META_CUSTOMER_HASH, true ) );
	}

	public function test_only_real_changes_are_sent() {
		$user_id = $this->customer( array( 'billing_phone' => '09121234567', 'billing_city' => 'تهران' ) );
		$this->end_request();
		$this->assertCount( 1, $this->rows() );

		// Saving the profile unchanged: nothing.
		wp_update_user( array( 'ID' => $user_id ) );
		do_action( 'woocommerce_customer_save_address', $user_id, 'billing' );
		$this->end_request();
		$this->assertCount( 1, $this->rows() );

		// A meta Revisit does not care about: nothing.
		update_user_meta( $user_id, 'show_admin_bar_front', 'false' );
		$this->end_request();
		$this->assertCount( 1, $this->rows() );

		// A real change: one customer.updated.
		wp_update_user(
			array(
				'ID'         => $user_id,
				'first_name' => 'سارا',
				'last_name'  => 'رضایی',
			)
		);
		update_user_meta( $user_id, 'billing_city', 'شیراز' );
		$this->end_request();
		$rows = $this->rows();
		$this->assertCount( 2, $rows );
		$this->assertSame( 'customer.updated', $rows[1]->type );
		$data = json_decode( $rows[1]->payload, true )['data'];
		$this->assertSame( 'رضایی', $data['last_name'] );
		$this->assertSame( 'شیراز', $data['city'] );
		$this->assertNotSame( $rows[0]->event_id, $rows[1]->event_id );

		// Back to the old city is a change again, and a new event (ids are not content hashes alone).
		update_user_meta( $user_id, 'billing_city', 'تهران' );
		$this->end_request();
		$this->assertCount( 3, $this->rows() );
	}

	public function test_a_phone_change_in_digits_is_a_change() {
		$user_id = $this->digits_signup();
		$this->end_request();
		update_user_meta( $user_id, 'digits_phone', '+989351112233' );
		update_user_meta( $user_id, 'digits_phone_no', '9351112233' );
		$this->end_request();
		$events = $this->queued();
		$this->assertCount( 2, $events );
		$this->assertSame( '+989351112233', $events[1]['data']['phone'] );

		// The billing phone is a lower source: while Digits has a phone, changing it changes nothing.
		update_user_meta( $user_id, 'billing_phone', '09120000000' );
		$this->end_request();
		$this->assertCount( 2, $this->rows() );
	}

	public function test_a_woocommerce_registration_is_one_event() {
		// WooCommerce's own registration (My account, checkout): the account, its customer data and
		// woocommerce_created_customer, in one request.
		$user_id = wc_create_new_customer( 'new-shopper@example.com', 'new-shopper', wp_generate_password(), array( 'first_name' => 'سارا' ) );
		$this->assertIsInt( $user_id );
		$this->end_request();
		$this->assertSame( array( 'customer.created' ), wp_list_pluck( $this->rows(), 'type' ) );
	}

	public function test_staff_are_not_customers_unless_a_filter_says_so() {
		$this->customer( array(), array( 'role' => 'administrator' ) );
		$this->end_request();
		$this->assertSame( array(), $this->rows() );

		$this->filter(
			'revisit_customer_roles',
			static function ( $roles ) {
				$roles[] = 'shop_manager';
				return $roles;
			}
		);
		add_role( 'shop_manager', 'Shop manager', array( 'read' => true ) );
		$this->customer( array(), array( 'role' => 'shop_manager' ) );
		$this->end_request();
		$this->assertCount( 1, $this->rows() );
	}

	public function test_the_customer_payload_filter_applies_and_counts_for_change_detection() {
		$this->filter(
			'revisit_event_payload_customer.created',
			static function ( $data, $user ) {
				$data['birthday']          = get_user_meta( $user->ID, 'birthday', true );
				$data['marketing_consent'] = true;
				return $data;
			},
			10,
			2
		);
		$user_id = $this->customer( array( 'birthday' => '1992-08-14' ) );
		$this->end_request();
		$data = $this->queued()[0]['data'];
		$this->assertSame( '1992-08-14', $data['birthday'] );
		$this->assertTrue( $data['marketing_consent'] );
	}
}
