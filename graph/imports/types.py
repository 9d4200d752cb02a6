"""GraphQL types of imports: what a file holds, and what became of it."""

from __future__ import annotations

from enum import Enum
from typing import Self

import strawberry

from domain.imports.service import ImportReport


@strawberry.enum(description="What an imported CSV file holds.")
class ImportKind(Enum):
    CUSTOMERS = strawberry.enum_value("customers", description="One customer per row.")
    ORDERS = strawberry.enum_value(
        "orders", description="One order line per row; the rows of one order share its order_id."
    )


@strawberry.type(description="One problem of an imported file.")
class RejectedRow:
    line: int = strawberry.field(description="The line of the file (1 is the header).")
    field: str | None = strawberry.field(description="The column, when the problem is in one.")
    message: str


@strawberry.enum
class ImportErrorCode(Enum):
    INVALID = "INVALID"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"


@strawberry.type
class ImportError:
    code: ImportErrorCode
    field: str | None
    message: str


@strawberry.type(
    description=(
        "What became of an imported file. Nothing is stored when any row is rejected: fix the rows "
        "listed in `rejected` and import the whole file again."
    )
)
class ImportCustomersPayload:
    stored: bool = strawberry.field(default=False, description="Whether the file's events were stored.")
    rows: int = strawberry.field(default=0, description="Rows read, the header and blank lines not counted.")
    events: int = strawberry.field(default=0, description="Events the rows make: one per customer or order.")
    accepted: int = strawberry.field(default=0, description="Events stored now, to be processed shortly.")
    duplicates: int = strawberry.field(
        default=0, description="Events stored before: the same file was imported already."
    )
    rejected_rows: int = strawberry.field(default=0, description="How many lines have a problem.")
    rejected: list[RejectedRow] = strawberry.field(
        default_factory=list, description="The problems, by line: at most the first 1,000."
    )
    errors: list[ImportError] = strawberry.field(default_factory=list)

    @classmethod
    def from_report(cls, report: ImportReport) -> Self:
        return cls(
            stored=report.stored,
            rows=report.rows,
            events=report.events,
            accepted=report.accepted,
            duplicates=report.duplicates,
            rejected_rows=report.rejected_rows,
            rejected=[RejectedRow(line=p.line, field=p.field, message=p.message) for p in report.problems],
        )
