"""A static list filled from an uploaded CSV, as a client sends it (GraphQL multipart): all or nothing,
each line at fault named, and the same file again adds nobody."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from domain.customers.models import Customer
from domain.segments import service as segments
from domain.segments.models import SegmentMembership
from tests.support.api import ApiClient
from tests.support.factories import Owner, make_owner
from tests.support.shop import days_before, deliver, order_event

NOW = datetime.now(UTC).replace(microsecond=0)
IMPORT = """
mutation Import($id: ID!, $file: Upload!) {
  importSegmentMembers(id: $id, file: $file) {
    rows added already rejected { line field message } errors { code field }
  }
}
"""


async def upload(client: ApiClient, owner: Owner, segment_id: str, content: bytes) -> dict[str, Any]:
    operations = {"query": IMPORT, "variables": {"id": segment_id, "file": None}}
    response = await client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("list.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {owner.token}", "X-Revisit-Tenant": owner.tenant_id},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["importSegmentMembers"]


async def test_a_list_file_names_customers_by_id_phone_or_email(client: ApiClient, db: None) -> None:
    owner = await make_owner()
    await deliver(
        owner.tenant.id,
        [order_event(customer=name, placed_at=days_before(NOW, 3)) for name in ("sara", "reza", "mina")],
        now=NOW,
    )
    await Customer.filter(tenant_id=owner.tenant.id, external_id="reza").update(phone="+989121234567")
    await Customer.filter(tenant_id=owner.tenant.id, external_id="mina").update(email="mina@example.ir")
    segment = await segments.create(tenant_id=owner.tenant.id, name="VIP list", definition=None, now=NOW)
    good = b"External ID,Phone,Email\nsara,,\n,09121234567,\n,,MINA@example.ir\n"
    # when: a file with one unknown line
    refused = await upload(client, owner, str(segment.id), good + b"nobody,,\n")
    # then: nobody is added, the line is named
    assert refused["added"] == 0
    assert [(r["line"], r["field"]) for r in refused["rejected"]] == [(5, "external_id")]
    assert await SegmentMembership.filter(segment_id=segment.id).count() == 0
    # when: the good file, twice
    first = await upload(client, owner, str(segment.id), good)
    again = await upload(client, owner, str(segment.id), good)
    # then
    assert (first["added"], first["already"], first["rejected"]) == (3, 0, [])
    assert (again["added"], again["already"]) == (0, 3)
    assert await SegmentMembership.filter(segment_id=segment.id, left_at__isnull=True).count() == 3


async def test_a_list_file_is_refused_for_a_condition_segment(client: ApiClient, db: None) -> None:
    owner = await make_owner()
    segment = await segments.create(
        tenant_id=owner.tenant.id,
        name="Buyers",
        definition={"version": 1, "match": {"field": "orders_count", "op": "gte", "value": 1}},
        now=NOW,
    )
    result = await upload(client, owner, str(segment.id), b"external_id\nsara\n")
    assert [error["code"] for error in result["errors"]] == ["NOT_STATIC"]
