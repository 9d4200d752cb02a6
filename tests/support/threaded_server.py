"""An ASGI app served by uvicorn on a free port of 127.0.0.1 in a background thread: the transport of the
local servers that speak SMS providers' protocols in tests."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp


class ThreadedServer:
    """Serves ``app`` from :meth:`start` until :meth:`stop`; ``name`` says which in errors and threads."""

    def __init__(self, app: ASGIApp, *, name: str) -> None:
        self.app, self.name = app, name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._port is None:
            raise RuntimeError(f"the {self.name} is not running")
        return f"http://127.0.0.1:{self._port}"

    def start(self, timeout: float = 10.0) -> None:
        """Listen on a free port and serve in a background thread; return once it listens."""
        if self._thread is not None:
            raise RuntimeError(f"the {self.name} is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            loop="asyncio",
            http="h11",
            ws="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self.name.replace(" ", "-"), daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError(f"the {self.name} did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving and wait for the thread (stalled requests are cut off after a second)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout=5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        self._server = self._thread = None
        self._port = None
