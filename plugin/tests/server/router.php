<?php
/**
 * A local Revisit for the tests: `php -S 127.0.0.1:PORT router.php`.
 *
 * Speaks the plugin's side of Revisit's REST contract (/tmp/contract.md, domain/events/schema.py):
 * GET /rest/v1/connection, POST /rest/v1/events (per-event accepted/duplicate/rejected, same id again
 * is a duplicate), POST /rest/v1/credit/quote|hold|release, POST /rest/v1/coupons/validate.
 * It can be told to fail (any status, or answer slower than the plugin waits) and records what it
 * received. State lives in a JSON file (REVISIT_TEST_STATE_DIR) so tests can read it.
 *
 * Control: POST /_control (merge config), GET /_state, POST /_reset.
 *
 * @package Revisit\WooCommerce\Tests
 */

// phpcs:disable WordPress -- a standalone test server, not WordPress code.

$revisit_dir = getenv( 'REVISIT_TEST_STATE_DIR' ) ?: sys_get_temp_dir() . '/revisit-test-server';
if ( ! is_dir( $revisit_dir ) ) {
	mkdir( $revisit_dir, 0777, true );
}
define( 'REVISIT_STATE_FILE', $revisit_dir . '/state.json' );
define( 'REVISIT_LOCK_FILE', $revisit_dir . '/state.lock' );

/**
 * Fresh state.
 */
function revisit_default_state() {
	return array(
		'config'   => array(
			'key'         => 'rvk_test_secret',
			'mode'        => 'ok',      // ok | fail | slow
			'fail_status' => 503,
			'fail_next'   => 0,         // fail this many requests, then behave
			'delay'       => 0,         // seconds to sleep before answering (mode slow)
			'store'       => array( 'id' => 'tenant-1', 'name' => 'فروشگاه آزمایشی', 'currency' => 'IRT', 'timezone' => 'Asia/Tehran' ),
			'balances'    => array(),   // identity (external id or phone) => available amount
			'coupons'     => array(),   // code => answer
		),
		'events'   => array(),          // id => event
		'order'    => array(),          // ids in the order first received
		'batches'  => array(),          // per request: count, accepted, duplicates, rejected
		'requests' => array(),          // method, path, authorization, body
		'holds'    => array(),          // order id => [amount, identity]
	);
}

/**
 * Run `$fn( &$state )` under an exclusive lock and save.
 */
function revisit_with_state( callable $fn ) {
	$lock = fopen( REVISIT_LOCK_FILE, 'c' );
	flock( $lock, LOCK_EX );
	$state = is_file( REVISIT_STATE_FILE ) ? json_decode( (string) file_get_contents( REVISIT_STATE_FILE ), true ) : null;
	if ( ! is_array( $state ) ) {
		$state = revisit_default_state();
	}
	$result = $fn( $state );
	file_put_contents( REVISIT_STATE_FILE, json_encode( $state, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ) );
	flock( $lock, LOCK_UN );
	fclose( $lock );
	return $result;
}

function revisit_json( $status, $body ) {
	http_response_code( $status );
	header( 'Content-Type: application/json' );
	echo json_encode( $body, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES );
	return true;
}

function revisit_problem( $status, $code, $message, $extra = array() ) {
	return revisit_json( $status, array_merge( array( 'error' => array( 'code' => $code, 'message' => $message ) ), $extra ) );
}

// --- validation, mirroring domain/events/schema.py (stricter: amounts must be decimal strings) ---

const REVISIT_TYPES    = array( 'customer.created', 'customer.updated', 'order.created', 'order.updated', 'order.refunded', 'payment.completed' );
const REVISIT_STATUSES = array( 'pending', 'processing', 'on-hold', 'completed', 'cancelled', 'refunded', 'failed' );

function revisit_is_time( $value ) {
	return is_string( $value ) && preg_match( '/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/', $value );
}

function revisit_is_amount( $value ) {
	return is_string( $value ) && preg_match( '/^\d+(\.\d+)?$/', $value );
}

function revisit_check_customer( $c, $path, &$errors ) {
	if ( ! is_array( $c ) ) {
		$errors[] = "$path: must be an object";
		return;
	}
	foreach ( array( 'external_id', 'phone', 'email', 'first_name', 'last_name', 'city' ) as $f ) {
		if ( isset( $c[ $f ] ) && ! is_string( $c[ $f ] ) ) {
			$errors[] = "$path.$f: must be a string or null";
		}
	}
	if ( isset( $c['phone'] ) && is_string( $c['phone'] ) && ! preg_match( '/^\+?\d{6,20}$/', $c['phone'] ) ) {
		$errors[] = "$path.phone: not a cleaned phone ({$c['phone']})";
	}
	if ( empty( $c['external_id'] ) && empty( $c['phone'] ) && empty( $c['email'] ) ) {
		$errors[] = "$path: needs external_id, phone or email";
	}
	if ( isset( $c['created_at'] ) && ! revisit_is_time( $c['created_at'] ) ) {
		$errors[] = "$path.created_at: needs a time zone offset";
	}
}

function revisit_validate( $e ) {
	$errors = array();
	if ( ! is_array( $e ) ) {
		return 'An event must be a JSON object.';
	}
	if ( ! isset( $e['id'] ) || ! is_string( $e['id'] ) || '' === $e['id'] || strlen( $e['id'] ) > 128 ) {
		$errors[] = 'id: 1 to 128 characters';
	}
	if ( ! isset( $e['type'] ) || ! in_array( $e['type'], REVISIT_TYPES, true ) ) {
		$errors[] = 'type: unknown';
	}
	if ( ! isset( $e['occurred_at'] ) || ! revisit_is_time( $e['occurred_at'] ) ) {
		$errors[] = 'occurred_at: needs a time zone offset';
	}
	if ( isset( $e['schema_version'] ) && 1 !== $e['schema_version'] ) {
		$errors[] = 'schema_version: only 1';
	}
	$d = isset( $e['data'] ) && is_array( $e['data'] ) ? $e['data'] : null;
	if ( null === $d ) {
		$errors[] = 'data: must be an object';
	} elseif ( isset( $e['type'] ) ) {
		if ( 0 === strpos( $e['type'], 'customer.' ) ) {
			revisit_check_customer( $d, 'data', $errors );
		} elseif ( in_array( $e['type'], array( 'order.created', 'order.updated' ), true ) ) {
			if ( empty( $d['external_id'] ) || ! is_string( $d['external_id'] ) ) {
				$errors[] = 'data.external_id: required string';
			}
			if ( ! isset( $d['status'] ) || ! in_array( $d['status'], REVISIT_STATUSES, true ) ) {
				$errors[] = 'data.status: unknown';
			}
			if ( ! isset( $d['currency'] ) || ! preg_match( '/^[A-Z]{3}$/', (string) $d['currency'] ) ) {
				$errors[] = 'data.currency: three letters';
			}
			foreach ( array( 'total', 'subtotal', 'discount_total', 'shipping_total', 'tax_total', 'credit_used' ) as $f ) {
				if ( ! isset( $d[ $f ] ) || ! revisit_is_amount( $d[ $f ] ) ) {
					$errors[] = "data.$f: decimal string >= 0";
				}
			}
			foreach ( (array) ( $d['items'] ?? array() ) as $i => $item ) {
				if ( empty( $item['product_id'] ) && '0' !== ( $item['product_id'] ?? null ) ) {
					$errors[] = "data.items.$i.product_id: required";
				}
				if ( ! isset( $item['quantity'] ) || ! is_int( $item['quantity'] ) || $item['quantity'] < 1 ) {
					$errors[] = "data.items.$i.quantity: >= 1";
				}
				if ( ! revisit_is_amount( $item['total'] ?? null ) ) {
					$errors[] = "data.items.$i.total: decimal string";
				}
			}
			if ( isset( $d['customer'] ) ) {
				revisit_check_customer( $d['customer'], 'data.customer', $errors );
			}
			if ( isset( $d['created_at'] ) && ! revisit_is_time( $d['created_at'] ) ) {
				$errors[] = 'data.created_at: needs a time zone offset';
			}
		} elseif ( 'order.refunded' === $e['type'] ) {
			foreach ( array( 'order_external_id', 'refund_id' ) as $f ) {
				if ( empty( $d[ $f ] ) ) {
					$errors[] = "data.$f: required";
				}
			}
			if ( ! revisit_is_amount( $d['amount'] ?? null ) ) {
				$errors[] = 'data.amount: decimal string';
			}
			if ( ! preg_match( '/^[A-Z]{3}$/', (string) ( $d['currency'] ?? '' ) ) ) {
				$errors[] = 'data.currency: three letters';
			}
		} elseif ( 'payment.completed' === $e['type'] ) {
			if ( empty( $d['order_external_id'] ) ) {
				$errors[] = 'data.order_external_id: required';
			}
			if ( empty( $d['transaction_id'] ) || strlen( (string) $d['transaction_id'] ) > 100 ) {
				$errors[] = 'data.transaction_id: 1 to 100 characters';
			}
			if ( ! revisit_is_amount( $d['amount'] ?? null ) ) {
				$errors[] = 'data.amount: decimal string';
			}
			if ( isset( $d['paid_at'] ) && ! revisit_is_time( $d['paid_at'] ) ) {
				$errors[] = 'data.paid_at: needs a time zone offset';
			}
		}
	}
	return $errors ? implode( '; ', $errors ) : null;
}

// --- credit helpers ---

function revisit_identity_key( $customer ) {
	if ( ! is_array( $customer ) ) {
		return '';
	}
	foreach ( array( 'external_id', 'phone', 'email' ) as $f ) {
		if ( ! empty( $customer[ $f ] ) && isset( $GLOBALS['revisit_state']['config']['balances'][ (string) $customer[ $f ] ] ) ) {
			return (string) $customer[ $f ];
		}
	}
	return '';
}

// --- the request ---

$method = $_SERVER['REQUEST_METHOD'];
$path   = parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH );
$raw    = file_get_contents( 'php://input' );
$body   = json_decode( (string) $raw, true );
$auth   = isset( $_SERVER['HTTP_AUTHORIZATION'] ) ? $_SERVER['HTTP_AUTHORIZATION'] : '';

if ( '/_reset' === $path ) {
	revisit_with_state(
		function ( &$state ) {
			$state = revisit_default_state();
		}
	);
	return revisit_json( 200, array( 'ok' => true ) );
}
if ( '/_control' === $path ) {
	revisit_with_state(
		function ( &$state ) use ( $body ) {
			$state['config'] = array_merge( $state['config'], is_array( $body ) ? $body : array() );
		}
	);
	return revisit_json( 200, array( 'ok' => true ) );
}
if ( '/_state' === $path ) {
	return revisit_json( 200, revisit_with_state( function ( &$state ) { return $state; } ) );
}
if ( 0 !== strpos( $path, '/rest/v1/' ) ) {
	return revisit_problem( 404, 'NOT_FOUND', 'No such route.' );
}

// Record the request, decide whether to fail it.
$decision = revisit_with_state(
	function ( &$state ) use ( $method, $path, $auth, $raw ) {
		$state['requests'][] = array(
			'method'        => $method,
			'path'          => $path,
			'authorization' => $auth,
			'bytes'         => strlen( (string) $raw ),
			'body'          => '/rest/v1/events' === $path ? null : json_decode( (string) $raw, true ),
		);
		$config = $state['config'];
		if ( $config['fail_next'] > 0 ) {
			--$state['config']['fail_next'];
			return array( 'fail', (int) $config['fail_status'], 0 );
		}
		if ( 'fail' === $config['mode'] ) {
			return array( 'fail', (int) $config['fail_status'], 0 );
		}
		return array( $config['mode'], 0, (float) $config['delay'] );
	}
);
if ( 'slow' === $decision[0] && $decision[2] > 0 ) {
	// Do the work now, answer late: like a Revisit that stored the batch but whose answer never
	// reached the store in time. (PHP runs shutdown functions before it flushes output buffers.)
	ob_start();
	$revisit_delay = $decision[2];
	register_shutdown_function(
		static function () use ( $revisit_delay ) {
			usleep( (int) ( $revisit_delay * 1000000 ) );
		}
	);
}
if ( 'fail' === $decision[0] ) {
	if ( 429 === $decision[1] ) {
		header( 'Retry-After: 2' );
	}
	return revisit_problem( $decision[1], 'UNAVAILABLE', 'Told to fail.' );
}

$config = revisit_with_state( function ( &$state ) { return $state['config']; } );
if ( 'Bearer ' . $config['key'] !== $auth ) {
	return revisit_problem( 401, 'UNAUTHENTICATED', 'Send Authorization: Bearer <store key>.' );
}

if ( 'GET' === $method && '/rest/v1/connection' === $path ) {
	return revisit_json( 200, array( 'store' => $config['store'] ) );
}

if ( 'POST' !== $method ) {
	return revisit_problem( 405, 'METHOD', 'POST only.' );
}
if ( ! is_array( $body ) ) {
	return revisit_problem( 400, 'INVALID_JSON', 'The body is not valid JSON.' );
}

if ( '/rest/v1/events' === $path ) {
	$events = isset( $body['events'] ) ? $body['events'] : null;
	if ( ! is_array( $events ) || ! $events ) {
		return revisit_problem( 422, 'INVALID', 'The body must be {"events": [...]} with at least one event.' );
	}
	if ( count( $events ) > 500 ) {
		return revisit_problem( 413, 'BATCH_TOO_LARGE', 'At most 500 events per batch; split it.' );
	}
	$answer = revisit_with_state(
		function ( &$state ) use ( $events ) {
			$results = array();
			$counts  = array( 'accepted' => 0, 'duplicates' => 0, 'rejected' => 0 );
			$dump    = getenv( 'REVISIT_EVENTS_DUMP' );
			foreach ( $events as $event ) {
				$id     = is_array( $event ) && isset( $event['id'] ) && is_string( $event['id'] ) ? $event['id'] : null;
				$reason = revisit_validate( $event );
				if ( null !== $reason ) {
					$results[] = array( 'id' => $id, 'status' => 'rejected', 'reason' => $reason );
					++$counts['rejected'];
				} elseif ( isset( $state['events'][ $id ] ) ) {
					$results[] = array( 'id' => $id, 'status' => 'duplicate', 'reason' => null );
					++$counts['duplicates'];
				} else {
					$state['events'][ $id ] = $event;
					$state['order'][]       = $id;
					$results[]              = array( 'id' => $id, 'status' => 'accepted', 'reason' => null );
					++$counts['accepted'];
					if ( $dump ) {
						file_put_contents( $dump, json_encode( $event, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ) . "\n", FILE_APPEND | LOCK_EX );
					}
				}
			}
			$state['batches'][] = array_merge( array( 'count' => count( $events ) ), $counts );
			return array_merge( $counts, array( 'results' => $results ) );
		}
	);
	return revisit_json( 202, $answer );
}

if ( '/rest/v1/credit/quote' === $path ) {
	return revisit_with_state(
		function ( &$state ) use ( $body ) {
			$GLOBALS['revisit_state'] = $state;
			$key       = revisit_identity_key( $body['customer'] ?? null );
			$available = '' === $key ? 0 : (float) $state['config']['balances'][ $key ];
			$total     = (float) ( $body['cart_total'] ?? 0 );
			return revisit_json(
				200,
				array(
					'customer_found' => '' !== $key,
					'available'      => (string) $available,
					'max_usable'     => (string) min( $available, $total ),
					'currency'       => $body['currency'] ?? 'IRT',
				)
			);
		}
	);
}

if ( '/rest/v1/credit/hold' === $path ) {
	return revisit_with_state(
		function ( &$state ) use ( $body ) {
			$GLOBALS['revisit_state'] = $state;
			$order  = (string) ( $body['order_external_id'] ?? '' );
			$amount = (float) ( $body['amount'] ?? 0 );
			$key    = revisit_identity_key( $body['customer'] ?? null );
			if ( isset( $state['holds'][ $order ] ) ) {
				$held = $state['holds'][ $order ];
				return revisit_json( 200, array( 'order_external_id' => $order, 'held' => (string) $held['amount'], 'available' => (string) $state['config']['balances'][ $held['identity'] ], 'currency' => $body['currency'] ?? 'IRT' ) );
			}
			$available = '' === $key ? 0.0 : (float) $state['config']['balances'][ $key ];
			if ( '' === $key || $available + 0.0001 < $amount ) {
				return revisit_problem( 409, 'INSUFFICIENT_CREDIT', 'Not enough credit.', array( 'available' => (string) $available ) );
			}
			$state['config']['balances'][ $key ] = $available - $amount;
			$state['holds'][ $order ]            = array( 'amount' => $amount, 'identity' => $key );
			return revisit_json( 200, array( 'order_external_id' => $order, 'held' => (string) $amount, 'available' => (string) ( $available - $amount ), 'currency' => $body['currency'] ?? 'IRT' ) );
		}
	);
}

if ( '/rest/v1/credit/release' === $path ) {
	return revisit_with_state(
		function ( &$state ) use ( $body ) {
			$order    = (string) ( $body['order_external_id'] ?? '' );
			$released = 0.0;
			$available = 0.0;
			if ( isset( $state['holds'][ $order ] ) ) {
				$held      = $state['holds'][ $order ];
				$released  = (float) $held['amount'];
				$state['config']['balances'][ $held['identity'] ] += $released;
				$available = $state['config']['balances'][ $held['identity'] ];
				unset( $state['holds'][ $order ] );
			}
			return revisit_json( 200, array( 'order_external_id' => $order, 'released' => (string) $released, 'available' => (string) $available, 'currency' => 'IRT' ) );
		}
	);
}

if ( '/rest/v1/coupons/validate' === $path ) {
	$code = (string) ( $body['code'] ?? '' );
	foreach ( $config['coupons'] as $known => $answer ) {
		if ( 0 === strcasecmp( $known, $code ) ) {
			return revisit_json( 200, array_merge( array( 'code' => $code ), $answer ) );
		}
	}
	return revisit_json( 200, array( 'valid' => false, 'code' => $code, 'reason' => 'unknown_code', 'message' => 'This code is not known.' ) );
}

return revisit_problem( 404, 'NOT_FOUND', 'No such route.' );
