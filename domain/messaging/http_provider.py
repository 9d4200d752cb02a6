"""What every SMS provider over HTTP shares: its API's base URL and timeout, and an HTTP client.

Pass ``client`` to share a connection pool. A client created here is closed by ``aclose`` (or
``async with``); a client passed in is left to its owner.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx


class HttpProvider:
    """The base of the HTTP adapters (Kavenegar, sms.ir)."""

    def __init__(self, *, base_url: str, timeout: float, client: httpx.AsyncClient | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client = client if client is not None else httpx.AsyncClient()
        self._owns_client = client is None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
