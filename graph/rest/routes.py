"""REST-compat routes for plugins and other platforms. Each runs one fixed GraphQL document."""

from __future__ import annotations

from starlette.routing import BaseRoute
from strawberry import Schema


def rest_routes(schema: Schema) -> list[BaseRoute]:
    return []
