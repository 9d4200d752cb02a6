<?php
/**
 * The settings page (WooCommerce → Revisit): one access key, a connection test, backfill progress.
 *
 * @package Revisit\WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Admin screens and notices. Every action checks a nonce and the `manage_woocommerce` capability.
 */
class Revisit_Admin {

	const PAGE       = 'revisit';
	const CAPABILITY = 'manage_woocommerce';
	const ACTIONS    = array( 'revisit_save', 'revisit_test', 'revisit_backfill', 'revisit_send_now' );

	/**
	 * API client.
	 *
	 * @var Revisit_Api
	 */
	private $api;

	/**
	 * Queue.
	 *
	 * @var Revisit_Queue
	 */
	private $queue;

	/**
	 * Sender.
	 *
	 * @var Revisit_Sender
	 */
	private $sender;

	/**
	 * Backfill.
	 *
	 * @var Revisit_Backfill
	 */
	private $backfill;

	/**
	 * Constructor.
	 *
	 * @param Revisit_Api      $api      API client.
	 * @param Revisit_Queue    $queue    Queue.
	 * @param Revisit_Sender   $sender   Sender.
	 * @param Revisit_Backfill $backfill Backfill.
	 */
	public function __construct( Revisit_Api $api, Revisit_Queue $queue, Revisit_Sender $sender, Revisit_Backfill $backfill ) {
		$this->api      = $api;
		$this->queue    = $queue;
		$this->sender   = $sender;
		$this->backfill = $backfill;
	}

	/**
	 * Attach the hooks.
	 */
	public function register() {
		add_action( 'admin_menu', array( $this, 'menu' ), 60 );
		add_action( 'admin_notices', array( $this, 'notices' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( REVISIT_WC_FILE ), array( $this, 'action_links' ) );
		foreach ( self::ACTIONS as $action ) {
			add_action( 'admin_post_' . $action, array( $this, 'handle' ) );
		}
	}

	/**
	 * The settings page's address.
	 *
	 * @param array $args Extra query arguments.
	 * @return string
	 */
	public static function url( array $args = array() ) {
		return add_query_arg( array_merge( array( 'page' => self::PAGE ), $args ), admin_url( 'admin.php' ) );
	}

	/**
	 * WooCommerce → Revisit.
	 */
	public function menu() {
		add_submenu_page(
			'woocommerce',
			__( 'Revisit', 'revisit-woocommerce' ),
			__( 'Revisit', 'revisit-woocommerce' ),
			self::CAPABILITY,
			self::PAGE,
			array( $this, 'render' )
		);
	}

	/**
	 * "Settings" next to Deactivate on the Plugins screen.
	 *
	 * @param array $links Links.
	 * @return array
	 */
	public function action_links( $links ) {
		array_unshift( $links, '<a href="' . esc_url( self::url() ) . '">' . esc_html__( 'Settings', 'revisit-woocommerce' ) . '</a>' );
		return $links;
	}

	/**
	 * admin-post.php handler: check, act, go back to the settings page.
	 */
	public function handle() {
		$action = isset( $_REQUEST['action'] ) ? sanitize_key( wp_unslash( $_REQUEST['action'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- checked in process().
		$notice = $this->process( $action );
		wp_safe_redirect( self::url( array( 'revisit_notice' => $notice ) ) );
		exit;
	}

	/**
	 * Check the nonce and capability, then do `$action`.
	 *
	 * @param string $action One of ACTIONS.
	 * @return string A notice code for the settings page.
	 */
	public function process( $action ) {
		if ( ! in_array( $action, self::ACTIONS, true ) ) {
			wp_die( esc_html__( 'Unknown action.', 'revisit-woocommerce' ), '', array( 'response' => 400 ) );
		}
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage Revisit.', 'revisit-woocommerce' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( $action );

		switch ( $action ) {
			case 'revisit_save':
				$key = isset( $_POST['revisit_access_key'] ) ? sanitize_text_field( wp_unslash( $_POST['revisit_access_key'] ) ) : '';
				if ( isset( $_POST['revisit_api_url'] ) && ! Revisit_Settings::api_url_is_constant() ) {
					$url = trim( sanitize_text_field( wp_unslash( $_POST['revisit_api_url'] ) ) );
					if ( untrailingslashit( $url ) !== Revisit_Settings::saved_api_url() ) {
						return $this->change_api_url( $url, $key );
					}
				}
				if ( '' === trim( $key ) ) {
					return '' === Revisit_Settings::access_key() ? 'key_missing' : 'key_unchanged';
				}
				Revisit_Settings::set_access_key( $key );
				return $this->test_connection();
			case 'revisit_test':
				return $this->test_connection();
			case 'revisit_backfill':
				return $this->backfill->start() ? 'backfill_started' : 'key_missing';
			case 'revisit_send_now':
				if ( '' === Revisit_Settings::access_key() ) {
					return 'key_missing';
				}
				Revisit_Sender::resume();
				$this->sender->nudge();
				return 'send_scheduled';
		}
		return '';
	}

	/**
	 * A new server address from the settings page: saved only when Revisit answers the connection
	 * check there (with the key typed alongside, or the saved one); '' goes back to the default.
	 * Bad input changes nothing.
	 *
	 * @param string $url Address as typed.
	 * @param string $key Key typed in the same form ('' keeps the saved one).
	 * @return string Notice code.
	 */
	public function change_api_url( $url, $key = '' ) {
		if ( Revisit_Settings::api_url_is_constant() ) {
			return 'address_locked';
		}
		$key = trim( (string) $key );
		if ( '' === trim( (string) $url ) ) {
			delete_option( Revisit_Settings::OPTION_API_URL );
			if ( '' !== $key ) {
				Revisit_Settings::set_access_key( $key );
			}
			return $this->test_connection();
		}
		$valid = Revisit_Settings::validate_api_url( $url );
		if ( is_wp_error( $valid ) ) {
			return $valid->get_error_code();
		}
		$try_key = '' !== $key ? $key : Revisit_Settings::access_key();
		if ( '' === $try_key ) {
			return 'key_missing';
		}
		$response = $this->api->connection( $try_key, $valid );
		if ( ! ( $response->ok() && is_array( $response->body ) && isset( $response->body['store'] ) && is_array( $response->body['store'] ) ) ) {
			Revisit_Util::log( 'notice', 'The new server address was not saved: ' . $response->describe() );
			return $response->is_auth_error() ? 'address_key_refused' : 'address_unreachable';
		}
		update_option( Revisit_Settings::OPTION_API_URL, $valid, true );
		if ( '' !== $key ) {
			Revisit_Settings::set_access_key( $key );
		}
		return $this->test_connection( $response ); // The answer just received, from the address now saved.
	}

	/**
	 * Call `GET /rest/v1/connection` and remember the result. The first success starts the backfill.
	 *
	 * @param Revisit_Response|null $response The check's answer when it was just made.
	 * @return string Notice code.
	 */
	public function test_connection( $response = null ) {
		if ( '' === Revisit_Settings::access_key() ) {
			return 'key_missing';
		}
		if ( ! $response instanceof Revisit_Response ) {
			$response = $this->api->connection();
		}
		$store    = ( $response->ok() && is_array( $response->body ) && isset( $response->body['store'] ) && is_array( $response->body['store'] ) ) ? $response->body['store'] : null;
		if ( null !== $store ) {
			$store_id = isset( $store['id'] ) ? sanitize_text_field( (string) $store['id'] ) : '';
			update_option(
				Revisit_Settings::OPTION_CONNECTION,
				array(
					'ok'         => true,
					'store'      => array(
						'id'       => $store_id,
						'name'     => isset( $store['name'] ) ? sanitize_text_field( (string) $store['name'] ) : '',
						'currency' => isset( $store['currency'] ) ? sanitize_text_field( (string) $store['currency'] ) : '',
						'timezone' => isset( $store['timezone'] ) ? sanitize_text_field( (string) $store['timezone'] ) : '',
					),
					'checked_at' => time(),
				),
				false
			);
			$previous = Revisit_Settings::store_id();
			if ( '' !== $store_id ) {
				update_option( Revisit_Settings::OPTION_STORE, $store_id, false );
			}
			if ( '' !== $previous && '' !== $store_id && $previous !== $store_id ) {
				// Another store (not a new key of the same one): it has none of this shop's history yet.
				Revisit_Util::log( 'notice', sprintf( 'The access key now belongs to another Revisit store (%s, before %s); sending the history again.', $store_id, $previous ) );
				$this->backfill->start_over_for_new_store( $this->queue );
				return 'store_switched';
			}
			Revisit_Sender::resume();
			$this->sender->nudge();
			$this->backfill->maybe_start_first_time();
			return 'connected';
		}
		update_option(
			Revisit_Settings::OPTION_CONNECTION,
			array(
				'ok'         => false,
				'status'     => $response->status,
				'error'      => $response->describe(),
				'checked_at' => time(),
			),
			false
		);
		return $response->is_auth_error() ? 'key_refused' : 'connection_failed';
	}

	/**
	 * Messages for the notice codes.
	 *
	 * @return array code => [type, message]
	 */
	private function notice_messages() {
		return array(
			'connected'           => array( 'success', __( 'Connected to Revisit.', 'revisit-woocommerce' ) ),
			'address_invalid'     => array( 'error', __( 'The server address was not saved: it must be a full address such as https://revisit.example.com.', 'revisit-woocommerce' ) ),
			'address_insecure'    => array( 'error', __( 'The server address was not saved: it must start with https:// (http:// is allowed only for localhost and 127.0.0.1).', 'revisit-woocommerce' ) ),
			'address_unreachable' => array( 'error', __( 'The server address was not saved: Revisit did not answer there. Check the address and try again.', 'revisit-woocommerce' ) ),
			'address_key_refused' => array( 'error', __( 'The server address was not saved: the Revisit server there refused the access key.', 'revisit-woocommerce' ) ),
			'address_locked'      => array( 'error', __( 'The server address is set in wp-config.php (REVISIT_API_URL); change it there.', 'revisit-woocommerce' ) ),
			'store_switched'      => array( 'success', __( 'Connected to a different Revisit store. Your customers and orders are being sent to it from the beginning, in the background.', 'revisit-woocommerce' ) ),
			'connection_failed'   => array( 'error', __( 'Revisit could not be reached. Check your server\'s internet connection and try again; events wait safely in the queue meanwhile.', 'revisit-woocommerce' ) ),
			'key_refused'         => array( 'error', __( 'Revisit refused this access key. Copy the key again from Revisit and save it here.', 'revisit-woocommerce' ) ),
			'key_missing'         => array( 'error', __( 'Enter your Revisit access key first.', 'revisit-woocommerce' ) ),
			'key_unchanged'       => array( 'info', __( 'The saved access key was kept.', 'revisit-woocommerce' ) ),
			'backfill_started'    => array( 'success', __( 'Sending your store\'s history to Revisit has started. It runs in the background; you can leave this page.', 'revisit-woocommerce' ) ),
			'send_scheduled'      => array( 'success', __( 'Waiting events will be sent in the background now.', 'revisit-woocommerce' ) ),
		);
	}

	/**
	 * Notices on every admin screen: WooCommerce missing, sending paused by a refused key.
	 */
	public function notices() {
		if ( ! current_user_can( self::CAPABILITY ) && ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		if ( ! class_exists( 'WooCommerce' ) ) {
			echo '<div class="notice notice-error"><p>' . esc_html__( 'Revisit for WooCommerce needs WooCommerce to be installed and active.', 'revisit-woocommerce' ) . '</p></div>';
			return;
		}
		if ( Revisit_Sender::is_paused() && current_user_can( self::CAPABILITY ) ) {
			echo '<div class="notice notice-error"><p>';
			echo esc_html__( 'Revisit refused the store\'s access key, so sending orders and customers is paused. Nothing is lost: events wait in the queue.', 'revisit-woocommerce' );
			echo ' <a href="' . esc_url( self::url() ) . '">' . esc_html__( 'Fix the access key', 'revisit-woocommerce' ) . '</a>';
			echo '</p></div>';
		}
	}

	/**
	 * A time in the site's format.
	 *
	 * @param int $timestamp Unix time.
	 * @return string
	 */
	private function when( $timestamp ) {
		return $timestamp ? (string) wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) $timestamp ) : '—';
	}

	/**
	 * One admin-post form with a single button.
	 *
	 * @param string $action Action.
	 * @param string $label  Button label.
	 * @param string $class  Button class.
	 */
	private function button_form( $action, $label, $class = 'button' ) {
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="display:inline-block;margin-right:8px">';
		echo '<input type="hidden" name="action" value="' . esc_attr( $action ) . '" />';
		wp_nonce_field( $action );
		echo '<button type="submit" class="' . esc_attr( $class ) . '">' . esc_html( $label ) . '</button>';
		echo '</form>';
	}

	/**
	 * The settings page.
	 */
	public function render() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage Revisit.', 'revisit-woocommerce' ), '', array( 'response' => 403 ) );
		}
		$messages   = $this->notice_messages();
		$notice     = isset( $_GET['revisit_notice'] ) ? sanitize_key( wp_unslash( $_GET['revisit_notice'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only.
		$connection = Revisit_Settings::connection();
		$masked     = Revisit_Settings::masked_key();
		$counts     = Revisit_Queue::exists() ? $this->queue->counts() : array(
			'pending'  => 0,
			'sent'     => 0,
			'rejected' => 0,
		);
		$state      = Revisit_Sender::state();
		$backfill   = Revisit_Backfill::state();
		?>
		<div class="wrap revisit-settings">
			<h1><?php esc_html_e( 'Revisit', 'revisit-woocommerce' ); ?></h1>
			<?php if ( isset( $messages[ $notice ] ) ) : ?>
				<div class="notice notice-<?php echo esc_attr( $messages[ $notice ][0] ); ?> is-dismissible"><p><?php echo esc_html( $messages[ $notice ][1] ); ?></p></div>
			<?php endif; ?>

			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="revisit_save" />
				<?php wp_nonce_field( 'revisit_save' ); ?>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="revisit_access_key"><?php esc_html_e( 'Access key', 'revisit-woocommerce' ); ?></label></th>
						<td>
							<input type="password" id="revisit_access_key" name="revisit_access_key" class="regular-text code" value="" autocomplete="off" spellcheck="false" placeholder="<?php echo esc_attr( '' !== $masked ? $masked : 'rvk_…' ); ?>" />
							<p class="description">
								<?php
								// The key is Latin text inside a possibly right-to-left sentence: isolate it so its underscores stay put.
								printf(
									/* translators: %s: the key's fixed beginning, rvk_ */
									esc_html__( 'Create a store key in Revisit and paste it here (it starts with %s). Nothing else is needed to connect.', 'revisit-woocommerce' ),
									'<bdi dir="ltr"><code>rvk_</code></bdi>'
								);
								?>
								<?php if ( '' !== $masked ) : ?>
									<br />
									<?php
									printf(
										/* translators: %s: the start of the saved key, e.g. rvk_ab12_… */
										esc_html__( 'Saved key: %s — leave the field empty to keep it.', 'revisit-woocommerce' ),
										'<bdi dir="ltr"><code>' . esc_html( $masked ) . '</code></bdi>'
									);
									?>
								<?php endif; ?>
							</p>
						</td>
					</tr>
				</table>
				<details class="revisit-advanced"<?php echo ( Revisit_Settings::api_url_is_constant() || '' !== Revisit_Settings::saved_api_url() ) ? ' open' : ''; ?>>
					<summary><?php esc_html_e( 'Advanced', 'revisit-woocommerce' ); ?></summary>
					<table class="form-table" role="presentation">
						<tr>
							<th scope="row"><label for="revisit_api_url"><?php esc_html_e( 'Revisit server address', 'revisit-woocommerce' ); ?></label></th>
							<td>
								<?php if ( Revisit_Settings::api_url_is_constant() ) : ?>
									<input type="url" id="revisit_api_url" class="regular-text code" dir="ltr" value="<?php echo esc_attr( Revisit_Settings::api_url() ); ?>" readonly="readonly" disabled="disabled" />
									<p class="description">
										<?php
										printf(
											/* translators: %s: the constant's name, REVISIT_API_URL */
											esc_html__( 'Set in wp-config.php with %s, which takes precedence over this page. Change it there.', 'revisit-woocommerce' ),
											'<bdi dir="ltr"><code>REVISIT_API_URL</code></bdi>'
										);
										?>
									</p>
								<?php else : ?>
									<input type="url" id="revisit_api_url" name="revisit_api_url" class="regular-text code" dir="ltr" value="<?php echo esc_attr( Revisit_Settings::saved_api_url() ); ?>" placeholder="<?php echo esc_attr( Revisit_Settings::DEFAULT_API_URL ); ?>" autocomplete="off" spellcheck="false" />
									<p class="description">
										<?php
										printf(
											/* translators: %s: https:// */
											esc_html__( 'The address of your Revisit server, if Revisit gave you one. It must start with %s (http:// only for localhost and 127.0.0.1). It is saved only after a successful connection test; leave it empty for the default.', 'revisit-woocommerce' ),
											'<bdi dir="ltr"><code>https://</code></bdi>'
										);
										?>
									</p>
								<?php endif; ?>
							</td>
						</tr>
					</table>
				</details>
				<?php submit_button( __( 'Save and test connection', 'revisit-woocommerce' ) ); ?>
			</form>

			<h2><?php esc_html_e( 'Connection', 'revisit-woocommerce' ); ?></h2>
			<p class="revisit-connection">
				<?php if ( ! empty( $connection['ok'] ) ) : ?>
					<span class="dashicons dashicons-yes-alt" style="color:#008a20"></span>
					<?php
					/* translators: %s: the store's name in Revisit */
					echo esc_html( sprintf( __( 'Connected to the store "%s".', 'revisit-woocommerce' ), $connection['store']['name'] ) );
					if ( '' !== $connection['store']['currency'] ) {
						echo ' ' . esc_html(
							/* translators: 1: currency code, 2: time zone */
							sprintf( __( 'Currency %1$s, time zone %2$s.', 'revisit-woocommerce' ), $connection['store']['currency'], $connection['store']['timezone'] )
						);
					}
					?>
				<?php elseif ( isset( $connection['ok'] ) ) : ?>
					<span class="dashicons dashicons-warning" style="color:#d63638"></span>
					<?php
					/* translators: %s: technical reason, e.g. "HTTP 401 UNAUTHENTICATED" */
					echo esc_html( sprintf( __( 'Not connected (%s).', 'revisit-woocommerce' ), isset( $connection['error'] ) ? $connection['error'] : '' ) );
					?>
				<?php else : ?>
					<?php esc_html_e( 'Not tested yet.', 'revisit-woocommerce' ); ?>
				<?php endif; ?>
				<?php if ( ! empty( $connection['checked_at'] ) ) : ?>
					<br /><small>
					<?php
					/* translators: %s: date and time */
					echo esc_html( sprintf( __( 'Checked %s.', 'revisit-woocommerce' ), $this->when( $connection['checked_at'] ) ) );
					?>
					</small>
				<?php endif; ?>
			</p>
			<?php $this->button_form( 'revisit_test', __( 'Test connection', 'revisit-woocommerce' ) ); ?>

			<h2><?php esc_html_e( 'Store history', 'revisit-woocommerce' ); ?></h2>
			<p class="revisit-backfill">
				<?php
				$total = (int) $backfill['total'];
				$done  = min( (int) $backfill['done'], $total );
				if ( 'running' === $backfill['status'] ) {
					/* translators: 1: customers and orders queued so far, 2: total */
					echo esc_html( sprintf( __( 'Sending customers and orders: %1$s of %2$s.', 'revisit-woocommerce' ), number_format_i18n( $done ), number_format_i18n( $total ) ) );
					echo ' <progress max="' . esc_attr( (string) max( 1, $total ) ) . '" value="' . esc_attr( (string) $done ) . '"></progress>';
				} elseif ( 'done' === $backfill['status'] ) {
					/* translators: 1: customers and orders queued, 2: total, 3: date */
					echo esc_html( sprintf( __( 'History sent: %1$s of %2$s customers and orders (finished %3$s).', 'revisit-woocommerce' ), number_format_i18n( (int) $backfill['done'] ), number_format_i18n( $total ), $this->when( $backfill['finished_at'] ) ) );
				} else {
					esc_html_e( 'Your existing customers and orders are sent after the first successful connection.', 'revisit-woocommerce' );
				}
				?>
			</p>
			<?php $this->button_form( 'revisit_backfill', 'done' === $backfill['status'] ? __( 'Send history again', 'revisit-woocommerce' ) : __( 'Send history now', 'revisit-woocommerce' ) ); ?>

			<h2><?php esc_html_e( 'Delivery', 'revisit-woocommerce' ); ?></h2>
			<ul class="revisit-delivery">
				<li>
				<?php
				/* translators: %s: number of events */
				echo esc_html( sprintf( __( 'Waiting to be sent: %s', 'revisit-woocommerce' ), number_format_i18n( $counts['pending'] ) ) );
				?>
				</li>
				<li>
				<?php
				/* translators: %s: number of events */
				echo esc_html( sprintf( __( 'Delivered: %s', 'revisit-woocommerce' ), number_format_i18n( $counts['sent'] ) ) );
				?>
				</li>
				<li>
				<?php
				/* translators: %s: number of events */
				echo esc_html( sprintf( __( 'Refused by Revisit as invalid: %s', 'revisit-woocommerce' ), number_format_i18n( $counts['rejected'] ) ) );
				?>
				</li>
				<li>
				<?php
				/* translators: %s: date and time */
				echo esc_html( sprintf( __( 'Last delivery: %s', 'revisit-woocommerce' ), $this->when( $state['last_success_at'] ) ) );
				?>
				</li>
				<?php if ( ! empty( $state['paused'] ) ) : ?>
					<li><strong><?php esc_html_e( 'Paused: Revisit refused the access key.', 'revisit-woocommerce' ); ?></strong></li>
				<?php elseif ( (int) $state['failures'] > 0 ) : ?>
					<li>
					<?php
					/* translators: 1: technical reason, 2: date and time */
					echo esc_html( sprintf( __( 'Revisit is not reachable (%1$s). Next try: %2$s. Nothing is lost meanwhile.', 'revisit-woocommerce' ), $state['last_error'], $this->when( $state['next_attempt_at'] ) ) );
					?>
					</li>
				<?php endif; ?>
			</ul>
			<?php $this->button_form( 'revisit_send_now', __( 'Send now', 'revisit-woocommerce' ) ); ?>

			<?php $rejections = $counts['rejected'] > 0 ? $this->queue->recent_rejections( 5 ) : array(); ?>
			<?php if ( $rejections ) : ?>
				<h3><?php esc_html_e( 'Latest refusals', 'revisit-woocommerce' ); ?></h3>
				<table class="widefat striped">
					<thead><tr><th><?php esc_html_e( 'Event', 'revisit-woocommerce' ); ?></th><th><?php esc_html_e( 'Reason', 'revisit-woocommerce' ); ?></th></tr></thead>
					<tbody>
					<?php foreach ( $rejections as $row ) : ?>
						<tr><td><code><?php echo esc_html( $row->event_id ); ?></code></td><td><?php echo esc_html( (string) $row->last_error ); ?></td></tr>
					<?php endforeach; ?>
					</tbody>
				</table>
			<?php endif; ?>
		</div>
		<?php
	}
}
