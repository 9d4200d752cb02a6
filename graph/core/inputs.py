"""Request bodies at their limits: read at most so many bytes, parse JSON at most so deep.

Both HTTP entry points use these, ``/graphql`` (:mod:`graph.view`) and the REST routes
(:mod:`graph.rest.http`), so a body is refused before it is parsed when it is too large, even when it
arrives in chunks without a ``Content-Length``, and a JSON document nested deeper than
:data:`MAX_JSON_DEPTH` is refused before anything recursive sees it.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from starlette.requests import Request

MAX_JSON_DEPTH: Final = 64
"""How deeply a JSON body may nest objects and arrays (the body itself is level 1)."""


class JsonRejected(json.JSONDecodeError):
    """JSON this server does not take; ``code`` says why (``INVALID_JSON`` or ``TOO_DEEP``).

    A ``JSONDecodeError``, so strawberry's own handling of bad JSON (HTTP and websockets) applies to it.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason, "", 0)
        self.code = code
        self.reason = reason


def _refuse_constant(name: str) -> Any:
    raise JsonRejected("INVALID_JSON", f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRejected("INVALID_JSON", "A number in the body is too large.")
    return value


def too_deep(value: Any, *, limit: int) -> bool:
    """Whether ``value`` nests objects and arrays more than ``limit`` levels (iteratively, no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict | list):
            if depth > limit:
                return True
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _too_deep(limit: int) -> str:
    return f"JSON may nest objects and arrays at most {limit} levels."


def load_json(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a JSON body, refusing what is not strict JSON (NaN, Infinity) and what nests too deeply.

    Raises :class:`JsonRejected`.
    """
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except JsonRejected:
        raise
    except RecursionError:
        # The parser nests as deeply as the document does; it gave up before our own limit could.
        raise JsonRejected("TOO_DEEP", _too_deep(max_depth)) from None
    except (ValueError, UnicodeDecodeError):
        raise JsonRejected("INVALID_JSON", "The body is not valid JSON.") from None
    if too_deep(value, limit=max_depth):
        raise JsonRejected("TOO_DEEP", _too_deep(max_depth))
    return value


async def read_capped(request: Request, *, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to be longer than ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused without reading; a chunked body is read only
    up to the limit.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
