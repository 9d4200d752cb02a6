"""Cursor connections over Tortoise querysets: keyset pagination, newest first, with a hard page cap."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import DomainError

T = TypeVar("T")
M = TypeVar("M", bound=Model)
DEFAULT_PAGE = 20


@strawberry.type(description="Where a page ends, to ask for the next one.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of results, newest first.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def _encode(moment: datetime, key: Any) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{key}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        moment, key = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(moment), key
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(
            "INVALID_CURSOR", "That cursor is not one this API gave out.", field="after"
        ) from exc


def page_size(first: int | None, *, cap: int) -> int:
    """How many nodes a page holds: ``first``, else the default; INVALID_PAGE_SIZE outside 1..``cap``."""
    size = DEFAULT_PAGE if first is None else first
    if size < 1 or size > cap:
        raise DomainError("INVALID_PAGE_SIZE", f"first must be between 1 and {cap}.", field="first")
    return size


def page_query(
    queryset: QuerySet[M], *, size: int, after: str | None, time_field: str = "created_at"
) -> QuerySet[M]:
    """The one statement of a page: rows after the cursor, newest first, one more than ``size`` (to know
    whether another page follows). With an index on (tenant_id, ``time_field``, id) it reads no more."""
    if after:
        moment, key = _decode(after)
        before: dict[str, Any] = {f"{time_field}__lt": moment}
        same: dict[str, Any] = {time_field: moment}
        queryset = queryset.filter(Q(**before) | (Q(**same) & Q(id__lt=key)))
    return queryset.order_by(f"-{time_field}", "-id").limit(size + 1)


async def paginate(
    queryset: QuerySet[Any],
    *,
    first: int | None,
    after: str | None,
    cap: int,
    to_node: Callable[[Any], T],
    time_field: str = "created_at",
) -> Connection[T]:
    """One page of ``queryset`` ordered by (``time_field``, id) descending, after ``after``."""
    size = page_size(first, cap=cap)
    rows = await page_query(queryset, size=size, after=after, time_field=time_field)
    page = rows[:size]
    edges = [Edge(cursor=_encode(getattr(row, time_field), row.id), node=to_node(row)) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None),
    )
