"""importSegmentMembers: a static list filled from an uploaded CSV of customers."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from tortoise.transactions import in_transaction

from domain.errors import DomainError
from domain.imports.table import MAX_FILE_BYTES
from domain.segments.list_import import import_members
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid, to_uuid
from graph.imports.types import RejectedRow
from graph.segments.types import WRITE, SegmentError, SegmentErrorCode


@strawberry.type(description="What became of a list file: nobody is added when any line is at fault.")
class ImportSegmentMembersPayload:
    rows: int = 0
    added: int = strawberry.field(default=0, description="Customers put in the list now.")
    already: int = strawberry.field(default=0, description="Customers the file names who were in it already.")
    rejected: list[RejectedRow] = strawberry.field(default_factory=list)
    errors: list[SegmentError] = strawberry.field(default_factory=list)


@strawberry.type
class ImportSegmentMembersMutation:
    @strawberry.mutation(
        description=(
            "Put the customers a CSV file names (columns external_id, phone or email; at most 20 MB) in a "
            "static list, as a GraphQL multipart request. A line naming nobody the store knows is listed "
            "with its line and column, and then nobody is added. Importing the same file again adds nobody."
        ),
        permission_classes=WRITE,
        extensions=errors_as_data(ImportSegmentMembersPayload, SegmentError, SegmentErrorCode),
    )
    async def import_segment_members(
        self, info: Info, id: strawberry.ID, file: Upload, tenant_id: strawberry.ID | None = None
    ) -> ImportSegmentMembersPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        if not isinstance(file, UploadFile):
            raise DomainError("INVALID", "Send the file as a multipart request's file.", field="file")
        content = await file.read(MAX_FILE_BYTES + 1)
        async with in_transaction():
            result = await import_members(
                tenant_id=scope,
                segment_id=to_uuid(id, what="Segment"),
                content=content,
                now=datetime.now(UTC),
            )
        return ImportSegmentMembersPayload(
            rows=result.rows,
            added=result.added,
            already=result.already,
            rejected=[RejectedRow(line=r.line, field=r.field, message=r.message) for r in result.rejected],
        )
