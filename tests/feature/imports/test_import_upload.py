"""importCustomers as a client sends it: a GraphQL multipart request with `operations`, `map` and the file."""

from __future__ import annotations

import json
from typing import Any

from arq.connections import ArqRedis

from domain.commerce.models import Order
from domain.customers.models import Customer
from domain.events.models import IngestedEvent
from domain.imports.table import MAX_FILE_BYTES
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, make_owner
from tests.support.worker import drain_queue

IMPORT = """
mutation($kind: ImportKind!, $file: Upload!, $tenantId: ID) {
  importCustomers(kind: $kind, file: $file, tenantId: $tenantId) {
    stored rows events accepted duplicates rejectedRows
    rejected { line field message }
    errors { code field message }
  }
}
"""

CUSTOMERS = "external_id,phone,first_name\n57,09121234567,سارا\n".encode()
ORDERS = (
    b"order_id,status,total,placed_at,customer_external_id,phone,product_id,quantity,line_total\n"
    b"1042,completed,1250000,2026-11-20 10:00,57,09121234567,88,2,1200000\n"
    b"1042,,,,,,89,1,50000\n"
)


async def upload(
    client: ApiClient, token: str, kind: str, content: bytes, tenant_id: str | None = None
) -> tuple[int, dict[str, Any]]:
    operations = {"query": IMPORT, "variables": {"kind": kind, "file": None, "tenantId": tenant_id}}
    response = await client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("import.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code, response.json()


async def test_uploaded_customers_and_orders_are_processed_by_the_worker(
    client: ApiClient, redis: ArqRedis, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Both files are stored, the worker is woken and processes them: the customer and the order exist."""
    # given
    owner = await make_owner(currency="IRT")
    # when
    _, customers = await upload(client, owner.token, "CUSTOMERS", CUSTOMERS)
    _, orders = await upload(client, owner.token, "ORDERS", ORDERS)
    await drain_queue(settings, service_urls)
    # then
    assert customers["data"]["importCustomers"] == {
        "stored": True,
        "rows": 1,
        "events": 1,
        "accepted": 1,
        "duplicates": 0,
        "rejectedRows": 0,
        "rejected": [],
        "errors": [],
    }
    assert orders["data"]["importCustomers"]["accepted"] == 1
    sara = await Customer.get(tenant_id=owner.tenant.id, external_id="57")
    assert (sara.first_name, sara.orders_count) == ("سارا", 1)
    order = await Order.get(tenant_id=owner.tenant.id, external_id="1042")
    assert (order.status, order.customer_id) == ("completed", sara.id)
    assert (
        await IngestedEvent.filter(tenant_id=owner.tenant.id, source="import", status="processed").count()
        == 2
    )


async def test_the_same_upload_again_is_all_duplicates(client: ApiClient) -> None:
    """Re-uploading the file stores nothing and says how many events were imported before."""
    # given
    owner = await make_owner()
    await upload(client, owner.token, "CUSTOMERS", CUSTOMERS)
    # when
    _, again = await upload(client, owner.token, "CUSTOMERS", CUSTOMERS)
    # then
    assert (again["data"]["importCustomers"]["accepted"], again["data"]["importCustomers"]["duplicates"]) == (
        0,
        1,
    )


async def test_rejected_rows_come_back_line_by_line_and_nothing_is_stored(client: ApiClient) -> None:
    """A bad row: stored false, the line, the column and the message; no event stored."""
    # given
    owner = await make_owner()
    content = b"external_id,email\n57,sara@example.com\n58,not\x01mail\n"
    # when
    status, body = await upload(client, owner.token, "CUSTOMERS", content)
    # then
    result = body["data"]["importCustomers"]
    assert status == 200
    assert (result["stored"], result["rejectedRows"]) == (False, 1)
    assert [(row["line"], row["field"]) for row in result["rejected"]] == [(3, "email")]
    assert await IngestedEvent.all().count() == 0


async def test_an_analyst_may_not_import(client: ApiClient) -> None:
    """customers/write is needed: the read-only analyst is FORBIDDEN and nothing is stored."""
    # given
    owner = await make_owner()
    analyst = await tenancy.create_user(
        email="analyst@example.ir", password="correct horse battery", full_name="A"
    )
    await tenancy.grant_role(user_id=analyst.id, tenant_id=owner.tenant.id, role="analyst")
    token = issue_access_token(analyst.id, secret=TEST_SECRET, minutes=30)
    # when
    _, body = await upload(client, token, "CUSTOMERS", CUSTOMERS)
    # then
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await IngestedEvent.all().count() == 0


async def test_another_stores_id_is_refused(client: ApiClient) -> None:
    """tenantId of a store the owner has no role in: FORBIDDEN, nothing stored there."""
    # given
    owner, other = await make_owner(), await make_owner()
    # when
    _, body = await upload(client, owner.token, "CUSTOMERS", CUSTOMERS, tenant_id=other.tenant_id)
    # then
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await IngestedEvent.filter(tenant_id=other.tenant.id).count() == 0


async def test_a_file_over_the_upload_limit_is_a_typed_error(client: ApiClient) -> None:
    """20 MB and one byte: FILE_TOO_LARGE on file as data; far beyond, the body is refused unread (413)."""
    # given
    owner = await make_owner()
    just_over = b"external_id\n" + b"1" * (MAX_FILE_BYTES - 11)
    # when
    _, over = await upload(client, owner.token, "CUSTOMERS", just_over)
    status, far_over = await upload(client, owner.token, "CUSTOMERS", b"x" * (50 * 1024 * 1024))
    # then
    [error] = over["data"]["importCustomers"]["errors"]
    assert (error["code"], error["field"]) == ("FILE_TOO_LARGE", "file")
    assert (status, far_over["errors"][0]["extensions"]["code"]) == (413, "TOO_LARGE")
