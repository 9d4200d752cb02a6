<?php
/**
 * Revisit store credit at checkout: show it, apply it as a negative fee, hold it for the order.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Checkout credit.
 *
 * Flow: the checkout shows the customer's available credit (`credit/quote`, short timeout, cached
 * for a minute in the WooCommerce session) with a "use my credit" checkbox; when ticked the cart gets
 * a negative fee. When the order is created the plugin holds that amount for the order
 * (`credit/hold`): 409 refuses the checkout with a clear message, no answer lets the order through
 * without the credit. The held amount is stored in the order's meta and travels as `credit_used` in
 * the order event; Revisit captures it then. A checkout that fails after the hold, or an order that
 * is cancelled or fails, gives the credit back (`credit/release`).
 */
class Revisit_Credit {

	const FEE_META      = '_revisit_credit';
	const META_STATE    = '_revisit_credit_state';
	const SESSION_USE   = 'revisit_use_credit';
	const SESSION_QUOTE = 'revisit_credit_quote';
	const SESSION_PHONE = 'revisit_billing_phone';
	const SESSION_EMAIL = 'revisit_billing_email';
	const RELEASE_HOOK  = 'revisit_release_credit';
	const FIELD         = 'revisit_use_credit';
	const FIELD_SHOWN   = 'revisit_credit_shown';

	/**
	 * The Store API namespace of the credit (`extensions.revisit`, `cart/extensions`).
	 */
	const STORE_API_NAMESPACE = 'revisit';

	/**
	 * Exception codes of a refused hold: not enough credit (409 from Revisit), or an amount Revisit
	 * would not confirm.
	 */
	const HOLD_INSUFFICIENT = 1;
	const HOLD_CHANGED      = 2;

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
	 * Quotes fetched in this request, by cache key.
	 *
	 * @var array
	 */
	private $quotes = array();

	/**
	 * Orders whose credit was held in this request by the classic checkout.
	 *
	 * @var array<int,bool>
	 */
	private $held_now = array();

	/**
	 * Orders whose checkout went through in this request.
	 *
	 * @var array<int,bool>
	 */
	private $succeeded = array();

	/**
	 * Constructor.
	 *
	 * @param Revisit_Api       $api       API client.
	 * @param Revisit_Scheduler $scheduler Scheduler.
	 */
	public function __construct( Revisit_Api $api, Revisit_Scheduler $scheduler ) {
		$this->api       = $api;
		$this->scheduler = $scheduler;
	}

	/**
	 * Attach the hooks.
	 */
	public function register() {
		add_action( 'woocommerce_review_order_before_payment', array( $this, 'render_checkout_box' ) );
		add_filter( 'woocommerce_update_order_review_fragments', array( $this, 'refresh_fragment' ) );
		add_action( 'wp_enqueue_scripts', array( $this, 'enqueue_script' ) );
		add_action( 'woocommerce_checkout_update_order_review', array( $this, 'read_review_post' ) );
		add_action( 'woocommerce_checkout_process', array( $this, 'read_checkout_post' ) );
		add_action( 'woocommerce_cart_calculate_fees', array( $this, 'add_fee' ), 20 );
		add_action( 'woocommerce_checkout_create_order_fee_item', array( $this, 'tag_fee_item' ), 10, 4 );
		// WooCommerce spreads tax over every negative fee, taxable or not; credit is money, not a discount.
		add_filter( 'woocommerce_cart_totals_get_fees_from_cart_taxes', array( $this, 'untax_cart_credit' ), 10, 2 );
		add_action( 'woocommerce_order_item_fee_after_calculate_taxes', array( $this, 'untax_order_credit' ) );
		add_action( 'woocommerce_checkout_order_processed', array( $this, 'hold_for_order' ), 5, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $this, 'hold_for_store_api_order' ), 5 );
		// After WooCommerce's own handler of legacy gateways (priority 999): did the payment go through?
		add_action( 'woocommerce_rest_checkout_process_payment_with_context', array( $this, 'mark_store_api_payment' ), 1000, 2 );
		add_action( 'woocommerce_blocks_cart_block_registration', array( $this, 'register_block_integration' ) );
		add_action( 'woocommerce_blocks_checkout_block_registration', array( $this, 'register_block_integration' ) );
		if ( did_action( 'woocommerce_blocks_loaded' ) ) {
			$this->register_store_api();
		} else {
			add_action( 'woocommerce_blocks_loaded', array( $this, 'register_store_api' ) );
		}
		add_filter( 'woocommerce_payment_successful_result', array( $this, 'mark_success' ), 10, 2 );
		add_filter( 'woocommerce_checkout_no_payment_needed_redirect', array( $this, 'mark_success_redirect' ), 10, 2 );
		add_action( 'woocommerce_order_status_cancelled', array( $this, 'schedule_release' ) );
		add_action( 'woocommerce_order_status_failed', array( $this, 'schedule_release' ) );
		add_action( self::RELEASE_HOOK, array( $this, 'release_job' ), 10, 2 );
		// Before the tracker's flush (priority 1), so a release is in the order event.
		add_action( 'shutdown', array( $this, 'release_unfinished' ), 0 );
	}

	/*
	|--------------------------------------------------------------------------
	| Who, and how much
	|--------------------------------------------------------------------------
	*/

	/**
	 * The shopper's identity for credit: the logged-in customer (id, phone as Digits or the
	 * account knows it, e-mail). Guests only when `revisit_guest_credit_by_billing_phone` allows it.
	 *
	 * @param bool $allow_guest Use a guest's billing phone and e-mail (coupons always may).
	 * @return array Identity; empty when the shopper is unknown.
	 */
	public static function shopper_identity( $allow_guest = false ) {
		$user_id = get_current_user_id();
		if ( $user_id > 0 ) {
			$user     = get_userdata( $user_id );
			$identity = array(
				'external_id' => (string) $user_id,
				'phone'       => Revisit_Phone::resolve( $user_id ),
				'email'       => $user ? (string) $user->user_email : '',
			);
			return array_filter( $identity, 'strlen' );
		}
		/**
		 * Filters whether a guest is identified by the billing phone typed at checkout, to see and
		 * spend their credit. Off by default: anyone can type anyone's phone number. Turn it on only
		 * when the phone is verified (e.g. by an OTP plugin at checkout).
		 *
		 * @param bool $allow Default false.
		 */
		if ( ! $allow_guest && ! apply_filters( 'revisit_guest_credit_by_billing_phone', false ) ) {
			return array();
		}
		$session = self::session();
		if ( ! $session ) {
			return array();
		}
		$phone = (string) $session->get( self::SESSION_PHONE );
		$email = (string) $session->get( self::SESSION_EMAIL );
		// The Checkout block sends the address through the Store API, into WooCommerce's customer.
		$customer = WC()->customer;
		if ( '' === $phone && $customer instanceof WC_Customer ) {
			$phone = (string) $customer->get_billing_phone();
		}
		if ( '' === $email && $customer instanceof WC_Customer ) {
			$email = (string) $customer->get_billing_email();
		}
		$identity = array(
			'phone' => Revisit_Phone::normalize( $phone ),
			'email' => sanitize_email( $email ),
		);
		if ( ! $allow_guest ) {
			unset( $identity['email'] ); // Credit: the phone alone identifies a guest.
		}
		return array_filter( $identity, 'strlen' );
	}

	/**
	 * The amount credit may pay: the cart after coupons, with shipping and taxes, before fees.
	 *
	 * @param WC_Cart $cart Cart.
	 * @return float
	 */
	public function payable_total( $cart ) {
		$total = (float) $cart->get_cart_contents_total() + (float) $cart->get_cart_contents_tax()
			+ (float) $cart->get_shipping_total() + (float) $cart->get_shipping_tax();
		/**
		 * Filters the cart amount credit may pay for.
		 *
		 * @param float   $total Cart after coupons, with shipping and taxes.
		 * @param WC_Cart $cart  Cart.
		 */
		return max( 0.0, (float) apply_filters( 'revisit_credit_cart_total', $total, $cart ) );
	}

	/**
	 * The shopper's credit for a cart total: found, available, max_usable, currency (decimal strings).
	 *
	 * @param float $total Cart total.
	 * @return array|null Null when the shopper is unknown or Revisit could not be asked.
	 */
	public function quote( $total ) {
		$identity = self::shopper_identity();
		if ( ! $identity || '' === Revisit_Settings::access_key() ) {
			return null;
		}
		$currency = strtoupper( (string) get_woocommerce_currency() );
		$amount   = Revisit_Util::amount( $total );
		$key      = md5( (string) Revisit_Util::json( array( $identity, $amount, $currency ) ) );
		if ( array_key_exists( $key, $this->quotes ) ) {
			return $this->quotes[ $key ];
		}
		$session = self::session();
		$cached  = $session ? $session->get( self::SESSION_QUOTE ) : null;
		if ( is_array( $cached ) && isset( $cached['key'], $cached['until'] ) && $cached['key'] === $key && $cached['until'] > time() ) {
			$this->quotes[ $key ] = $cached['quote'];
			return $cached['quote'];
		}
		$response = $this->api->credit_quote( $identity, $amount, $currency );
		$quote    = null;
		if ( $response->ok() && is_array( $response->body ) && isset( $response->body['available'] ) ) {
			$body  = $response->body;
			$quote = array(
				'found'      => ! empty( $body['customer_found'] ),
				'available'  => (string) $body['available'],
				'max_usable' => isset( $body['max_usable'] ) ? (string) $body['max_usable'] : (string) $body['available'],
				'currency'   => isset( $body['currency'] ) ? (string) $body['currency'] : $currency,
			);
		} else {
			Revisit_Util::log( 'notice', 'Credit quote unavailable: ' . $response->describe() );
		}
		/**
		 * Filters how long, in seconds, a credit quote is reused in the shopper's session.
		 *
		 * @param int $seconds Default 60; failures are remembered for half as long.
		 */
		$ttl                  = max( 0, (int) apply_filters( 'revisit_credit_quote_ttl', MINUTE_IN_SECONDS ) );
		$this->quotes[ $key ] = $quote;
		if ( $session && $ttl > 0 ) {
			$session->set(
				self::SESSION_QUOTE,
				array(
					'key'   => $key,
					'until' => time() + ( null === $quote ? (int) ceil( $ttl / 2 ) : $ttl ),
					'quote' => $quote,
				)
			);
		}
		return $quote;
	}

	/**
	 * Forget cached quotes (after a hold was refused).
	 */
	public function forget_quote() {
		$this->quotes = array();
		$session      = self::session();
		if ( $session ) {
			$session->set( self::SESSION_QUOTE, null );
		}
	}

	/**
	 * Whether the shopper asked to use their credit.
	 *
	 * @return bool
	 */
	public function wants_credit() {
		$session = self::session();
		$wants   = $session && 'yes' === $session->get( self::SESSION_USE );
		/**
		 * Filters whether the credit is applied to the cart (e.g. return true to apply it always,
		 * which also serves the Checkout block, where the checkbox is not shown).
		 *
		 * @param bool $wants Whether the shopper ticked "use my credit".
		 */
		return (bool) apply_filters( 'revisit_apply_credit', $wants );
	}

	/**
	 * The fee's label.
	 *
	 * @return string
	 */
	public function fee_name() {
		/**
		 * Filters the label of the credit line in the cart and the order.
		 *
		 * @param string $name Default "Store credit".
		 */
		return (string) apply_filters( 'revisit_credit_fee_name', __( 'Store credit', 'revisit-woocommerce' ) );
	}

	/*
	|--------------------------------------------------------------------------
	| Cart and Checkout blocks (Store API)
	|--------------------------------------------------------------------------
	*/

	/**
	 * Expose the credit in the Store API cart (`extensions.revisit`) and accept `cart/extensions`
	 * updates in the `revisit` namespace.
	 */
	public function register_store_api() {
		if ( ! function_exists( 'woocommerce_store_api_register_endpoint_data' ) || ! class_exists( '\Automattic\WooCommerce\StoreApi\Schemas\V1\CartSchema' ) ) {
			return;
		}
		woocommerce_store_api_register_endpoint_data(
			array(
				'endpoint'        => \Automattic\WooCommerce\StoreApi\Schemas\V1\CartSchema::IDENTIFIER,
				'namespace'       => self::STORE_API_NAMESPACE,
				'data_callback'   => array( $this, 'store_api_cart_data' ),
				'schema_callback' => array( $this, 'store_api_cart_schema' ),
				'schema_type'     => ARRAY_A,
			)
		);
		woocommerce_store_api_register_update_callback(
			array(
				'namespace' => self::STORE_API_NAMESPACE,
				'callback'  => array( $this, 'store_api_update' ),
			)
		);
	}

	/**
	 * The block-side script, for the Cart and the Checkout block.
	 *
	 * @param object $registry WooCommerce Blocks' IntegrationRegistry.
	 */
	public function register_block_integration( $registry ) {
		if ( ! is_object( $registry ) || ! is_callable( array( $registry, 'register' ) ) ) {
			return;
		}
		require_once REVISIT_WC_DIR . 'includes/class-revisit-credit-blocks.php';
		if ( ! $registry->is_registered( 'revisit-credit' ) ) {
			$registry->register( new Revisit_Credit_Blocks() );
		}
	}

	/**
	 * The schema of `extensions.revisit` in the Store API cart.
	 *
	 * @return array
	 */
	public function store_api_cart_schema() {
		$text   = array(
			'type'     => 'string',
			'context'  => array( 'view', 'edit' ),
			'readonly' => true,
		);
		$amount = array(
			'type'     => array( 'string', 'null' ),
			'context'  => array( 'view', 'edit' ),
			'readonly' => true,
		);
		return array(
			'show'       => array(
				'description' => __( 'Whether the shopper has store credit to show.', 'revisit-woocommerce' ),
				'type'        => 'boolean',
				'context'     => array( 'view', 'edit' ),
				'readonly'    => true,
			),
			'available'  => array_merge( $amount, array( 'description' => __( 'Store credit available, a decimal string in the store currency; null when unknown.', 'revisit-woocommerce' ) ) ),
			'max_usable' => array_merge( $amount, array( 'description' => __( 'The most credit this cart can use, a decimal string; null when unknown.', 'revisit-woocommerce' ) ) ),
			'applied'    => array(
				'description' => __( 'Whether the shopper chose to use the credit.', 'revisit-woocommerce' ),
				'type'        => 'boolean',
				'context'     => array( 'view', 'edit' ),
				'readonly'    => true,
			),
			'message'    => array_merge( $text, array( 'description' => __( 'The available credit, as a sentence for the shopper.', 'revisit-woocommerce' ) ) ),
			'label'      => array_merge( $text, array( 'description' => __( 'The label of the "use my credit" checkbox.', 'revisit-woocommerce' ) ) ),
		);
	}

	/**
	 * `extensions.revisit` of the Store API cart: the same credit the classic checkout shows.
	 *
	 * @return array
	 */
	public function store_api_cart_data() {
		$data = array(
			'show'       => false,
			'available'  => null,
			'max_usable' => null,
			'applied'    => $this->wants_credit(),
			'message'    => '',
			'label'      => '',
		);
		$cart = function_exists( 'WC' ) ? WC()->cart : null;
		if ( ! $cart ) {
			return $data;
		}
		$total = $this->payable_total( $cart );
		$quote = $this->quote( $total );
		if ( ! $quote || ! $quote['found'] || Revisit_Util::to_float( $quote['available'] ) <= 0 ) {
			return $data;
		}
		$max                = min( Revisit_Util::to_float( $quote['max_usable'] ), $total );
		$data['show']       = true;
		$data['available']  = Revisit_Util::amount( $quote['available'] );
		$data['max_usable'] = Revisit_Util::amount( $max );
		/* translators: %s: the customer's available store credit, formatted as a price */
		$data['message'] = sprintf( __( 'You have %s of store credit.', 'revisit-woocommerce' ), self::plain_price( Revisit_Util::to_float( $quote['available'] ) ) );
		/* translators: %s: the most credit that can be used on this order, formatted as a price */
		$data['label'] = sprintf( __( 'Use my credit on this order (up to %s)', 'revisit-woocommerce' ), self::plain_price( $max ) );
		return $data;
	}

	/**
	 * `POST /wc/store/v1/cart/extensions` with namespace `revisit` and `{"use_credit": true|false}`:
	 * apply or remove the credit (WooCommerce recalculates the cart afterwards). Bad input, or
	 * asking for credit the shopper does not have, is refused and changes nothing.
	 *
	 * @param mixed $data The request's `data`.
	 * @throws \Automattic\WooCommerce\StoreApi\Exceptions\RouteException On bad input or no usable credit.
	 */
	public function store_api_update( $data ) {
		if ( ! is_array( $data ) || ! array_key_exists( 'use_credit', $data ) || ! is_bool( $data['use_credit'] ) ) {
			throw new \Automattic\WooCommerce\StoreApi\Exceptions\RouteException( 'revisit_invalid_request', esc_html__( 'Send use_credit as true or false.', 'revisit-woocommerce' ), 400 );
		}
		$session = self::session();
		if ( ! $session ) {
			throw new \Automattic\WooCommerce\StoreApi\Exceptions\RouteException( 'revisit_no_session', esc_html__( 'There is no cart to apply the credit to.', 'revisit-woocommerce' ), 400 );
		}
		if ( $data['use_credit'] ) {
			$cart  = WC()->cart;
			$quote = $cart ? $this->quote( $this->payable_total( $cart ) ) : null;
			if ( null === $quote && self::shopper_identity() ) {
				throw new \Automattic\WooCommerce\StoreApi\Exceptions\RouteException( 'revisit_credit_unavailable', esc_html__( 'Your store credit cannot be checked right now. Please try again in a moment.', 'revisit-woocommerce' ), 503 );
			}
			if ( ! $quote || ! $quote['found'] || Revisit_Util::to_float( $quote['max_usable'] ) <= 0 ) {
				throw new \Automattic\WooCommerce\StoreApi\Exceptions\RouteException( 'revisit_no_credit', esc_html__( 'You have no store credit to use on this order.', 'revisit-woocommerce' ), 400 );
			}
		}
		$session->set( self::SESSION_USE, $data['use_credit'] ? 'yes' : 'no' );
	}

	/**
	 * A price as plain text (the block shows text, not HTML).
	 *
	 * @param float $amount Amount.
	 * @return string
	 */
	private static function plain_price( $amount ) {
		return trim( html_entity_decode( wp_strip_all_tags( wc_price( $amount ) ), ENT_QUOTES, 'UTF-8' ) );
	}

	/**
	 * The Store API checkout's payment step ran: note when it went through, so the end of the
	 * request does not give the credit back (as the classic checkout does with its own hook).
	 *
	 * @param object $context PaymentContext (order, payment method).
	 * @param object $result  PaymentResult.
	 */
	public function mark_store_api_payment( $context, $result ) {
		$order = is_object( $context ) && isset( $context->order ) ? $context->order : null;
		if ( $order instanceof WC_Order && is_object( $result ) && isset( $result->status ) && 'success' === $result->status ) {
			$this->succeeded[ $order->get_id() ] = true;
		}
	}

	/*
	|--------------------------------------------------------------------------
	| Checkout page
	|--------------------------------------------------------------------------
	*/

	/**
	 * The credit box above the payment methods (classic checkout, printed once per page load).
	 */
	public function render_checkout_box() {
		echo $this->checkout_box_html(); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in checkout_box_html().
	}

	/**
	 * The box again with every checkout refresh (`woocommerce_update_order_review_fragments`), so
	 * its amounts follow the cart.
	 *
	 * @param array $fragments Selector => HTML.
	 * @return array
	 */
	public function refresh_fragment( $fragments ) {
		$fragments['div.revisit-credit'] = $this->checkout_box_html();
		return $fragments;
	}

	/**
	 * The box's HTML: an empty placeholder when there is no credit to show.
	 *
	 * @return string
	 */
	public function checkout_box_html() {
		$cart  = function_exists( 'WC' ) ? WC()->cart : null;
		$quote = $cart ? $this->quote( $this->payable_total( $cart ) ) : null;
		if ( ! $quote || ! $quote['found'] || Revisit_Util::to_float( $quote['available'] ) <= 0 ) {
			return '<div class="revisit-credit"></div>';
		}
		$max = min( Revisit_Util::to_float( $quote['max_usable'] ), $this->payable_total( $cart ) );
		ob_start();
		?>
		<div class="revisit-credit woocommerce-info" style="margin-bottom:1em">
			<p>
				<?php
				/* translators: %s: the customer's available store credit, formatted as a price */
				echo wp_kses_post( sprintf( __( 'You have %s of store credit.', 'revisit-woocommerce' ), wc_price( Revisit_Util::to_float( $quote['available'] ) ) ) );
				?>
			</p>
			<input type="hidden" name="<?php echo esc_attr( self::FIELD_SHOWN ); ?>" value="1" />
			<label for="revisit-use-credit">
				<input type="checkbox" id="revisit-use-credit" name="<?php echo esc_attr( self::FIELD ); ?>" value="1" <?php checked( $this->wants_credit() ); ?> />
				<?php
				/* translators: %s: the most credit that can be used on this order, formatted as a price */
				echo wp_kses_post( sprintf( __( 'Use my credit on this order (up to %s)', 'revisit-woocommerce' ), wc_price( $max ) ) );
				?>
			</label>
		</div>
		<?php
		return (string) ob_get_clean();
	}

	/**
	 * Refresh the totals when the checkbox changes.
	 */
	public function enqueue_script() {
		if ( ! function_exists( 'is_checkout' ) || ! is_checkout() ) {
			return;
		}
		wp_add_inline_script(
			'wc-checkout',
			'jQuery(function($){$(document.body).on("change","input[name=\'' . esc_js( self::FIELD ) . '\']",function(){$(document.body).trigger("update_checkout");});});'
		);
	}

	/**
	 * Checkout refresh (AJAX `update_order_review`; WooCommerce checked its nonce): remember the
	 * checkbox and the billing phone/e-mail.
	 *
	 * @param string $post_data The checkout form, URL-encoded.
	 */
	public function read_review_post( $post_data ) {
		$values = array();
		parse_str( (string) $post_data, $values );
		$this->remember_form( $values );
	}

	/**
	 * Checkout submit (WooCommerce checked its nonce before this action).
	 */
	public function read_checkout_post() {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by WC_Checkout::process_checkout().
		$this->remember_form( wp_unslash( $_POST ) );
	}

	/**
	 * Store the form's credit choice and contact fields in the session.
	 *
	 * @param array $values Form values.
	 */
	private function remember_form( $values ) {
		$session = self::session();
		if ( ! $session || ! is_array( $values ) ) {
			return;
		}
		if ( ! empty( $values[ self::FIELD_SHOWN ] ) ) {
			$session->set( self::SESSION_USE, empty( $values[ self::FIELD ] ) ? 'no' : 'yes' );
		}
		if ( isset( $values['billing_phone'] ) && is_string( $values['billing_phone'] ) ) {
			$session->set( self::SESSION_PHONE, Revisit_Phone::normalize( sanitize_text_field( $values['billing_phone'] ) ) );
		}
		if ( isset( $values['billing_email'] ) && is_string( $values['billing_email'] ) ) {
			$session->set( self::SESSION_EMAIL, sanitize_email( $values['billing_email'] ) );
		}
	}

	/**
	 * Apply the credit as a negative fee (`woocommerce_cart_calculate_fees`).
	 *
	 * @param WC_Cart $cart Cart.
	 */
	public function add_fee( $cart ) {
		if ( ! $this->wants_credit() ) {
			return;
		}
		$total = $this->payable_total( $cart );
		if ( $total <= 0 ) {
			return;
		}
		$quote = $this->quote( $total );
		if ( ! $quote || ! $quote['found'] ) {
			return;
		}
		$decimals = (int) wc_get_price_decimals();
		$factor   = 10 ** $decimals;
		$amount   = floor( min( Revisit_Util::to_float( $quote['max_usable'] ), $total ) * $factor ) / $factor;
		if ( $amount <= 0 ) {
			return;
		}
		$cart->add_fee( $this->fee_name(), -$amount, false );
	}

	/**
	 * Mark the order's credit line so the hold finds it (`woocommerce_checkout_create_order_fee_item`).
	 *
	 * @param WC_Order_Item_Fee $item    Fee item.
	 * @param string            $fee_key Fee key.
	 * @param object            $fee     Cart fee.
	 * @param WC_Order          $order   Order.
	 */
	public function tag_fee_item( $item, $fee_key, $fee, $order ) {
		if ( is_object( $fee ) && $this->is_credit_fee( $fee ) ) {
			$item->add_meta_data( self::FEE_META, 'yes', true );
			$item->set_taxes( false );
		}
	}

	/**
	 * No tax on the cart's credit line (`woocommerce_cart_totals_get_fees_from_cart_taxes`).
	 *
	 * @param array  $taxes Taxes WooCommerce computed for the fee.
	 * @param object $fee   The fee being totalled (its `object` is the cart fee).
	 * @return array
	 */
	public function untax_cart_credit( $taxes, $fee ) {
		return ( is_object( $fee ) && isset( $fee->object ) && $this->is_credit_fee( $fee->object ) ) ? array() : $taxes;
	}

	/**
	 * No tax on the order's credit line when WooCommerce recalculates an order's taxes.
	 *
	 * @param WC_Order_Item_Fee $item Fee item.
	 */
	public function untax_order_credit( $item ) {
		if ( $item instanceof WC_Order_Item_Fee && 'yes' === $item->get_meta( self::FEE_META, true ) ) {
			$item->set_taxes( false );
		}
	}

	/**
	 * Whether a cart fee is the credit line this plugin added.
	 *
	 * @param object $fee Cart fee (id, name, amount…).
	 * @return bool
	 */
	private function is_credit_fee( $fee ) {
		$name = $this->fee_name();
		return ( isset( $fee->id ) && sanitize_title( $name ) === $fee->id ) || ( isset( $fee->name ) && $name === $fee->name );
	}

	/**
	 * The credit on an order: the total of its marked fee lines, as a positive number.
	 *
	 * @param WC_Order $order Order.
	 * @return float
	 */
	public function credit_on_order( $order ) {
		$total = 0.0;
		foreach ( $order->get_items( 'fee' ) as $item ) {
			if ( 'yes' === $item->get_meta( self::FEE_META, true ) ) {
				$total += abs( (float) $item->get_total() );
			}
		}
		return $total;
	}

	/*
	|--------------------------------------------------------------------------
	| Hold and release
	|--------------------------------------------------------------------------
	*/

	/**
	 * Classic checkout created the order: hold the credit (`woocommerce_checkout_order_processed`).
	 * Throwing here makes WooCommerce show the message and stop the checkout.
	 *
	 * @param int      $order_id Order id.
	 * @param array    $posted   Posted data.
	 * @param WC_Order $order    Order.
	 * @throws Exception When Revisit refuses the hold (not enough credit).
	 */
	public function hold_for_order( $order_id, $posted = array(), $order = null ) {
		if ( ! $order instanceof WC_Order ) {
			$order = wc_get_order( $order_id );
		}
		if ( $order instanceof WC_Order && $this->hold( $order ) ) {
			$this->held_now[ $order->get_id() ] = true;
		}
	}

	/**
	 * The Checkout block (Store API) is about to take payment for the order: hold the credit, with
	 * the classic checkout's behaviour and messages. A refusal stops the checkout with a 409 and a
	 * typed error code (`revisit_credit_insufficient`, `revisit_credit_changed`).
	 *
	 * @param WC_Order $order Order.
	 * @throws \Automattic\WooCommerce\StoreApi\Exceptions\RouteException When Revisit refuses the hold.
	 */
	public function hold_for_store_api_order( $order ) {
		if ( ! $order instanceof WC_Order ) {
			return;
		}
		try {
			if ( $this->hold( $order ) ) {
				$this->held_now[ $order->get_id() ] = true;
			}
		} catch ( Exception $e ) {
			if ( ! class_exists( '\Automattic\WooCommerce\StoreApi\Exceptions\RouteException' ) ) {
				throw $e;
			}
			$code = self::HOLD_INSUFFICIENT === $e->getCode() ? 'revisit_credit_insufficient' : 'revisit_credit_changed';
			throw new \Automattic\WooCommerce\StoreApi\Exceptions\RouteException( esc_html( $code ), esc_html( trim( html_entity_decode( wp_strip_all_tags( $e->getMessage() ), ENT_QUOTES, 'UTF-8' ) ) ), 409 );
		}
	}

	/**
	 * Hold the order's credit with Revisit.
	 *
	 * @param WC_Order $order Order.
	 * @return bool Whether credit is now held for the order.
	 * @throws Exception When Revisit refuses the hold (409) or the held amount cannot be agreed.
	 */
	public function hold( $order ) {
		$amount = $this->credit_on_order( $order );
		if ( $amount <= 0 ) {
			return false;
		}
		$identity = $this->order_identity( $order );
		$currency = strtoupper( (string) $order->get_currency() );
		$wanted   = Revisit_Util::amount( $amount );
		$response = $this->api->credit_hold( $order->get_id(), $identity, $wanted, $currency );

		if ( $response->ok() && is_array( $response->body ) && isset( $response->body['held'] ) ) {
			if ( ! $this->same_amount( $response->body['held'], $amount ) ) {
				// An earlier hold for this order (a retried checkout) with another amount: redo it.
				$this->api->credit_release( $order->get_id() );
				$response = $this->api->credit_hold( $order->get_id(), $identity, $wanted, $currency );
			}
			if ( $response->ok() && is_array( $response->body ) && isset( $response->body['held'] ) && $this->same_amount( $response->body['held'], $amount ) ) {
				$order->update_meta_data( Revisit_Events::META_CREDIT_USED, $wanted );
				$order->update_meta_data( self::META_STATE, 'held' );
				/* translators: %s: credit amount */
				$order->add_order_note( sprintf( __( 'Revisit credit of %s held for this order.', 'revisit-woocommerce' ), $wanted . ' ' . $currency ) );
				$order->save();
				return true;
			}
			if ( 409 !== $response->status ) {
				$this->api->credit_release( $order->get_id() );
				$this->forget_quote();
				$this->remove_credit( $order, __( 'Revisit did not confirm the credit, so it was taken off this order.', 'revisit-woocommerce' ), 'refused' );
				throw new Exception( esc_html__( 'Your store credit changed while you were checking out. Please review your order and place it again.', 'revisit-woocommerce' ), self::HOLD_CHANGED ); // phpcs:ignore WordPress.Security.EscapeOutput.ExceptionNotEscaped -- escaped.
			}
		}

		if ( 409 === $response->status ) {
			// The pending order must not keep a discount nobody holds (it could be paid later as is).
			$this->remove_credit( $order, __( 'Revisit refused the credit (not enough available), so it was taken off this order.', 'revisit-woocommerce' ), 'refused' );
			$this->forget_quote();
			$session = self::session();
			if ( $session ) {
				$session->set( 'refresh_totals', true );
			}
			$available = is_array( $response->body ) && isset( $response->body['available'] ) ? Revisit_Util::to_float( $response->body['available'] ) : 0.0;
			throw new Exception(
				wp_kses_post(
					sprintf(
						/* translators: %s: the credit available now, formatted as a price */
						__( 'You no longer have enough store credit for this order (available now: %s). Please review your order and place it again.', 'revisit-woocommerce' ),
						wc_price( $available, array( 'currency' => $currency ) )
					)
				),
				self::HOLD_INSUFFICIENT
			);
		}

		// No usable answer: the order goes through, without the credit. Revisit may still have taken
		// the hold (the answer may be what got lost), so a background release makes sure it is not kept.
		Revisit_Util::log( 'warning', sprintf( 'Credit hold for order %d failed (%s); the order was placed without credit.', $order->get_id(), $response->describe() ) );
		$this->remove_credit( $order, __( 'Revisit could not be reached to hold the credit, so it was not used on this order.', 'revisit-woocommerce' ), 'unconfirmed' );
		$this->scheduler->schedule( self::RELEASE_HOOK, time() + MINUTE_IN_SECONDS, array( (int) $order->get_id(), 0 ) );
		$session = self::session();
		if ( $session ) {
			$session->set( self::SESSION_USE, 'no' );
		}
		$this->forget_quote();
		if ( function_exists( 'wc_add_notice' ) ) {
			wc_add_notice( esc_html__( 'We could not confirm your store credit just now, so it was not used; your order was placed without it.', 'revisit-woocommerce' ), 'notice' );
		}
		return false;
	}

	/**
	 * Take the credit line off an order, recalculate its total, record why, save.
	 *
	 * @param WC_Order $order Order.
	 * @param string   $note  Order note.
	 * @param string   $state META_STATE: refused (nothing held) or unconfirmed (a hold may exist).
	 */
	private function remove_credit( $order, $note, $state ) {
		$this->strip_credit_lines( $order );
		$order->update_meta_data( Revisit_Events::META_CREDIT_USED, '0' );
		$order->update_meta_data( self::META_STATE, $state );
		$order->add_order_note( $note );
		$order->save();
	}

	/**
	 * Remove the credit fee lines and recalculate the total (not saved).
	 *
	 * @param WC_Order $order Order.
	 * @return bool Whether a line was removed.
	 */
	private function strip_credit_lines( $order ) {
		$removed = false;
		foreach ( $order->get_items( 'fee' ) as $item_id => $item ) {
			if ( 'yes' === $item->get_meta( self::FEE_META, true ) ) {
				$order->remove_item( $item_id );
				$removed = true;
			}
		}
		if ( $removed ) {
			$order->calculate_totals( false );
		}
		return $removed;
	}

	/**
	 * The order's customer for Revisit.
	 *
	 * @param WC_Order $order Order.
	 * @return array
	 */
	private function order_identity( $order ) {
		$user_id = (int) $order->get_customer_id();
		return array_filter(
			array(
				'external_id' => $user_id > 0 ? (string) $user_id : '',
				'phone'       => Revisit_Phone::resolve( $user_id, $order ),
				'email'       => (string) $order->get_billing_email(),
			),
			'strlen'
		);
	}

	/**
	 * Whether two amounts are equal to the cent.
	 *
	 * @param mixed $a Amount.
	 * @param mixed $b Amount.
	 * @return bool
	 */
	private function same_amount( $a, $b ) {
		return abs( Revisit_Util::to_float( $a ) - Revisit_Util::to_float( $b ) ) < 0.005;
	}

	/**
	 * The payment step went through (`woocommerce_payment_successful_result`).
	 *
	 * @param array $result   Gateway result.
	 * @param int   $order_id Order id.
	 * @return array
	 */
	public function mark_success( $result, $order_id ) {
		$this->succeeded[ (int) $order_id ] = true;
		return $result;
	}

	/**
	 * The order needed no payment and went through.
	 *
	 * @param string   $url   Redirect.
	 * @param WC_Order $order Order.
	 * @return string
	 */
	public function mark_success_redirect( $url, $order ) {
		if ( $order instanceof WC_Order ) {
			$this->succeeded[ $order->get_id() ] = true;
		}
		return $url;
	}

	/**
	 * End of the request: a classic checkout that held credit but did not go through (payment
	 * refused, another plugin stopped it) gives the credit back.
	 */
	public function release_unfinished() {
		foreach ( array_keys( $this->held_now ) as $order_id ) {
			if ( isset( $this->succeeded[ $order_id ] ) ) {
				continue;
			}
			$order = wc_get_order( $order_id );
			if ( $order instanceof WC_Order && $order->has_status( array( 'pending', 'failed' ) ) ) {
				// Also off the order: it may still be paid later ("Pay for order") and must not keep a
				// discount nobody holds. Placing it again from the cart puts the credit back and holds it.
				$this->release( $order, null, true );
			}
		}
		$this->held_now = array();
	}

	/**
	 * An order was cancelled or failed: give its credit back, in the background.
	 *
	 * @param int $order_id Order id.
	 */
	public function schedule_release( $order_id ) {
		$order = wc_get_order( $order_id );
		if ( $order instanceof WC_Order && $this->may_hold( $order ) ) {
			$this->scheduler->schedule( self::RELEASE_HOOK, time(), array( (int) $order_id, 0 ) );
		}
	}

	/**
	 * Background release, retried a few times (Revisit also releases when it receives the cancelled
	 * or failed order).
	 *
	 * @param int $order_id Order id.
	 * @param int $attempt  Attempts so far.
	 */
	public function release_job( $order_id, $attempt = 0 ) {
		$order = wc_get_order( $order_id );
		if ( ! $order instanceof WC_Order || ! $this->may_hold( $order ) ) {
			return;
		}
		// A failed order can still be paid again; a cancelled one keeps its lines as a record.
		if ( ! $this->release( $order, Revisit_Api::background_timeout(), $order->has_status( 'failed' ) ) && $attempt < 5 ) {
			$this->scheduler->schedule( self::RELEASE_HOOK, time() + 5 * MINUTE_IN_SECONDS * ( $attempt + 1 ), array( (int) $order_id, (int) $attempt + 1 ) );
		}
	}

	/**
	 * Whether Revisit may hold credit for the order: held, or a hold whose answer never came.
	 *
	 * @param WC_Order $order Order.
	 * @return bool
	 */
	private function may_hold( $order ) {
		return in_array( $order->get_meta( self::META_STATE, true ), array( 'held', 'unconfirmed' ), true );
	}

	/**
	 * Release an order's credit now.
	 *
	 * @param WC_Order $order       Order.
	 * @param int|null $timeout     Seconds; null for the checkout timeout (and a background retry on failure).
	 * @param bool     $remove_line Also take the credit line off the order.
	 * @return bool Whether Revisit confirmed.
	 */
	public function release( $order, $timeout = null, $remove_line = false ) {
		$stripped = $remove_line && $this->strip_credit_lines( $order );
		$response = $this->api->credit_release( $order->get_id(), $timeout );
		if ( ! $response->ok() ) {
			Revisit_Util::log( 'warning', sprintf( 'Releasing the credit of order %d failed (%s).', $order->get_id(), $response->describe() ) );
			if ( $stripped ) {
				$order->update_meta_data( Revisit_Events::META_CREDIT_USED, '0' );
				$order->update_meta_data( self::META_STATE, 'unconfirmed' );
				$order->save();
			}
			if ( null === $timeout ) {
				$this->scheduler->schedule( self::RELEASE_HOOK, time() + MINUTE_IN_SECONDS, array( (int) $order->get_id(), 0 ) );
			}
			return false;
		}
		$released = is_array( $response->body ) && isset( $response->body['released'] ) ? Revisit_Util::to_float( $response->body['released'] ) : 0.0;
		$order->update_meta_data( Revisit_Events::META_CREDIT_USED, '0' );
		$order->update_meta_data( self::META_STATE, 'released' );
		if ( $released > 0 ) {
			/* translators: %s: credit amount */
			$order->add_order_note( sprintf( __( 'Revisit credit of %s given back to the customer.', 'revisit-woocommerce' ), Revisit_Util::amount( $released ) . ' ' . $order->get_currency() ) );
		}
		$order->save();
		return true;
	}

	/**
	 * WooCommerce's session, when there is one.
	 *
	 * @return WC_Session|null
	 */
	private static function session() {
		if ( ! function_exists( 'WC' ) ) {
			return null;
		}
		$wc = WC();
		return ( $wc && isset( $wc->session ) && is_object( $wc->session ) ) ? $wc->session : null;
	}
}
