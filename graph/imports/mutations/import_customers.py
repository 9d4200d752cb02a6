"""importCustomers: a CSV file of customers or of orders, uploaded as a GraphQL multipart request."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from domain.errors import DomainError
from domain.events.schema import EventBatchResult
from domain.imports.service import SOURCE_IMPORT, import_file
from domain.imports.service import ImportKind as Kind
from domain.imports.table import MAX_FILE_BYTES
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid
from graph.core.metrics import count_received_events
from graph.core.permissions import Can
from graph.imports.types import ImportCustomersPayload, ImportError, ImportErrorCode, ImportKind


@strawberry.type
class ImportCustomersMutation:
    @strawberry.mutation(
        description=(
            "Import a CSV file of customers or of orders (at most 20 MB and 200,000 rows), sent as a "
            "GraphQL multipart request. Every row is checked first; if any is rejected nothing is "
            "stored, and each problem is listed with its line and column. Importing the same file "
            "again stores nothing new. Stored events are processed like the store's own."
        ),
        permission_classes=[Can("customers", "write")],
        extensions=errors_as_data(ImportCustomersPayload, ImportError, ImportErrorCode),
    )
    async def import_customers(
        self, info: Info, kind: ImportKind, file: Upload, tenant_id: strawberry.ID | None = None
    ) -> ImportCustomersPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        if not isinstance(file, UploadFile):
            raise DomainError("INVALID", "Send the file as a multipart request's file.", field="file")
        content = await file.read(MAX_FILE_BYTES + 1)  # one byte more than allowed tells it is too large
        report = await import_file(
            tenant_id=scope, kind=Kind[kind.name], content=content, now=datetime.now(UTC)
        )
        count_received_events(
            SOURCE_IMPORT,
            EventBatchResult(results=[], accepted=report.accepted, duplicates=report.duplicates, rejected=0),
        )
        if report.accepted:
            await info.context.wakeups.events_received(scope)
        return ImportCustomersPayload.from_report(report)
