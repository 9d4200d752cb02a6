<?php
/**
 * Starts and drives the local Revisit (PHP's built-in server with server/router.php).
 *
 * @package Revisit\WooCommerce\Tests
 */

// phpcs:disable WordPress -- also used before WordPress loads.

/**
 * The local Revisit.
 */
final class Revisit_Test_Server {

	/**
	 * Port.
	 *
	 * @var int
	 */
	private $port;

	/**
	 * Process.
	 *
	 * @var resource
	 */
	private $process;

	/**
	 * The running server.
	 *
	 * @var Revisit_Test_Server|null
	 */
	private static $current = null;

	/**
	 * A free local port (bound, then let go).
	 *
	 * @return int
	 */
	public static function free_port() {
		$socket = stream_socket_server( 'tcp://127.0.0.1:0', $errno, $errstr );
		$name   = stream_socket_get_name( $socket, false );
		fclose( $socket );
		return (int) substr( strrchr( $name, ':' ), 1 );
	}

	/**
	 * Start `php -S` with the router (four workers, so a slow answer does not block the others).
	 *
	 * @param string $router Router script.
	 * @return Revisit_Test_Server
	 */
	public static function start( $router ) {
		$server       = new self();
		$server->port = self::free_port();
		$env          = array_merge(
			getenv(),
			array(
				'PHP_CLI_SERVER_WORKERS' => '4',
				'REVISIT_TEST_STATE_DIR' => getenv( 'REVISIT_TEST_STATE_DIR' ) ?: sys_get_temp_dir() . '/revisit-test-server-' . getmypid(),
			)
		);
		$log             = $env['REVISIT_TEST_STATE_DIR'] . '.log';
		$command         = array( PHP_BINARY, '-S', '127.0.0.1:' . $server->port, $router );
		$server->process = proc_open( $command, array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $log, 'a' ), 2 => array( 'file', $log, 'a' ) ), $pipes, dirname( $router ), $env );
		$deadline        = microtime( true ) + 10;
		while ( microtime( true ) < $deadline ) {
			$connection = @fsockopen( '127.0.0.1', $server->port, $errno, $errstr, 0.2 );
			if ( $connection ) {
				fclose( $connection );
				break;
			}
			usleep( 50000 );
		}
		register_shutdown_function( array( $server, 'stop' ) );
		self::$current = $server;
		$server->call( 'POST', '/_reset' );
		return $server;
	}

	/**
	 * The running server.
	 *
	 * @return Revisit_Test_Server
	 */
	public static function current() {
		return self::$current;
	}

	/**
	 * Stop the server.
	 */
	public function stop() {
		if ( is_resource( $this->process ) ) {
			$status = proc_get_status( $this->process );
			if ( $status['running'] ) {
				// Workers are children of the main process: end the whole group politely.
				revisit_kill_tree( (int) $status['pid'] );
			}
			proc_close( $this->process );
		}
	}

	/**
	 * Base address.
	 *
	 * @return string
	 */
	public function url() {
		return 'http://127.0.0.1:' . $this->port;
	}

	/**
	 * A control call (plain PHP streams, so it works with or without WordPress).
	 *
	 * @param string     $method Method.
	 * @param string     $path   Path.
	 * @param array|null $body   JSON body.
	 * @return array|null Decoded answer.
	 */
	public function call( $method, $path, $body = null ) {
		$context = stream_context_create(
			array(
				'http' => array(
					'method'        => $method,
					'header'        => "Content-Type: application/json\r\n",
					'content'       => null === $body ? '' : json_encode( $body ),
					'ignore_errors' => true,
					'timeout'       => 10,
				),
			)
		);
		$answer  = file_get_contents( $this->url() . $path, false, $context );
		return json_decode( (string) $answer, true );
	}

	/**
	 * Forget everything and behave.
	 */
	public function reset() {
		$this->call( 'POST', '/_reset' );
	}

	/**
	 * Change behaviour: mode ok|fail|slow, fail_status, fail_next, delay, key, balances, coupons, store.
	 *
	 * @param array $config Config.
	 */
	public function configure( array $config ) {
		$this->call( 'POST', '/_control', $config );
	}

	/**
	 * Everything the server knows.
	 *
	 * @return array
	 */
	public function state() {
		return (array) $this->call( 'GET', '/_state' );
	}
}

/**
 * End a process and its children (php -S workers).
 *
 * @param int $pid Process id.
 */
function revisit_kill_tree( $pid ) {
	$children = array();
	foreach ( (array) glob( '/proc/[0-9]*/stat' ) as $stat ) {
		$fields = explode( ' ', (string) @file_get_contents( $stat ) );
		if ( isset( $fields[3] ) && (int) $fields[3] === $pid ) {
			$children[] = (int) $fields[0];
		}
	}
	foreach ( $children as $child ) {
		@exec( 'kill ' . (int) $child );
	}
	@exec( 'kill ' . (int) $pid );
}
