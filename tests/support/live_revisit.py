"""A real Revisit server in a subprocess, and a proxy that loses its answers on the way back.

``RevisitServer`` runs ``revisit api`` (the project's CLI, as in production) on a fixed local port
over the given PostgreSQL and Redis, so clients outside Python (the WooCommerce plugin) can talk to
it over real HTTP. It can be stopped and started again on the same port, as a restarted server::

    server = RevisitServer(urls, secret_key=TEST_SECRET, log_dir=tmp_path)
    server.start()          # returns once /readyz answers 200
    server.stop()           # SIGTERM, then SIGKILL if it lingers; safe to call twice
    server.start()          # a new process, same port, same database

``AnswerDroppingProxy`` sits in front of a server: it passes each request on, waits for the whole
answer, keeps it, and hangs up on the client without passing it back. The server did the work; the
client sees a dropped connection (as when a network or a proxy times out on the way back).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx

from revisit.services import ServiceUrls
from tests.support.cli_process import CliProcess

STARTUP_SECONDS = 60.0


def free_port() -> int:
    """A local TCP port nobody listens on (bound, then let go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RevisitServer(CliProcess):
    """``revisit api`` in a subprocess on 127.0.0.1:``port``."""

    command = "api"

    def __init__(self, urls: ServiceUrls, *, secret_key: str, log_dir: Path, port: int | None = None) -> None:
        super().__init__(urls, secret_key=secret_key, log_dir=log_dir)
        self.port = port or free_port()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start a new process and wait until it is ready (PostgreSQL and Redis answer)."""
        self.spawn(["--host", "127.0.0.1", "--port", str(self.port)], {"REVISIT_LOG_LEVEL": "WARNING"})
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"revisit api exited while starting:\n{self.log_tail()}")
            try:
                answer = httpx.get(f"{self.base_url}/readyz", timeout=2.0)
                if answer.status_code == 200:
                    return
                last = f"{answer.status_code} {answer.text}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"revisit api was not ready in {STARTUP_SECONDS:.0f} s ({last}):\n{self.log_tail()}"
        )


class AnswerDroppingProxy:
    """Forwards every HTTP/1.1 request to ``upstream_port`` and drops the answer (see the module doc).

    ``answers`` keeps the raw answers the server gave and the client never saw, in order.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.answers: list[bytes] = []
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self._closing = threading.Event()
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="answer-dropping-proxy", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def dropped(self) -> list[tuple[int, bytes]]:
        """(HTTP status, body) of every answer that was dropped."""
        with self._lock:
            answers = list(self.answers)
        result = []
        for raw in answers:
            head, _, body = raw.partition(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            result.append((status, body))
        return result

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> AnswerDroppingProxy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        try:
            client.settimeout(30)
            request = self._read_request(client)
            with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30) as upstream:
                upstream.sendall(request)
                answer = self._read_answer(upstream)
            with self._lock:
                self.answers.append(answer)
        finally:
            # Hang up with a reset: the client learns nothing of the answer.
            with contextlib.suppress(OSError):
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()

    @staticmethod
    def _read_answer(upstream: socket.socket) -> bytes:
        """The server's whole answer: by its Content-Length, its last chunk, or the connection's end."""
        data = b""
        while True:
            head, found, body = data.partition(b"\r\n\r\n")
            if found:
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:])
                }
                if b"content-length" in headers and len(body) >= int(headers[b"content-length"]):
                    return data
                if headers.get(b"transfer-encoding", b"").lower() == b"chunked" and body.endswith(
                    b"0\r\n\r\n"
                ):
                    return data
            chunk = upstream.recv(65536)
            if not chunk:
                return data
            data += chunk

    @staticmethod
    def _read_request(client: socket.socket) -> bytes:
        """One request, rewritten to ``Connection: close`` (one upstream connection per request)."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                raise ConnectionError("the client hung up before sending a whole request")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        headers = [
            line
            for line in lines[1:]
            if line.split(b":", 1)[0].strip().lower() not in {b"connection", b"expect"}
        ]
        length = 0
        for line in headers:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if any(line.lower().startswith(b"expect:") and b"100-continue" in line.lower() for line in lines[1:]):
            client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        while len(body) < length:
            chunk = client.recv(65536)
            if not chunk:
                raise ConnectionError("the client hung up in the middle of its request body")
            body += chunk
        return b"\r\n".join([lines[0], *headers, b"Connection: close"]) + b"\r\n\r\n" + body
