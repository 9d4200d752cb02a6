"""A thin client for tests: GraphQL calls and REST calls as a real client makes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class GraphQLResult:
    status_code: int
    data: dict[str, Any] | None
    errors: list[dict[str, Any]] | None

    def ok(self) -> dict[str, Any]:
        """The data, asserting there were no top-level errors."""
        assert self.errors is None, self.errors
        assert self.data is not None
        return self.data

    def error_codes(self) -> list[str | None]:
        return [(error.get("extensions") or {}).get("code") for error in self.errors or []]


class ApiClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        tenant: str | None = None,
    ) -> GraphQLResult:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if tenant:
            headers["X-Revisit-Tenant"] = tenant
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = response.json()
        return GraphQLResult(response.status_code, body.get("data"), body.get("errors"))
