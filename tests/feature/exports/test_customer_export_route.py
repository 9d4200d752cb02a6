"""GET /rest/v1/customers/export as a signed-in store owner's browser calls it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from domain.customers.models import Customer
from domain.segments.models import Segment, SegmentMembership
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, Owner, make_owner, make_store_key
from tests.unit.exports.test_spreadsheet_writers import read_xlsx

EXPORT = "/rest/v1/customers/export"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _customers(owner: Owner) -> list[Customer]:
    return [
        await Customer.create(
            tenant_id=owner.tenant.id,
            external_id="57",
            first_name="سارا",
            phone="+989121234567",
            total_spent=1250000,
        ),
        await Customer.create(tenant_id=owner.tenant.id, external_id="58", first_name="=cmd|' /C calc'!A0"),
    ]


def _csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def test_an_owner_downloads_all_customers_as_csv(client: ApiClient) -> None:
    """200, a dated attachment, every customer with formula-like text defused."""
    # given
    owner = await make_owner()
    await _customers(owner)
    # when
    response = await client.http.get(EXPORT, headers=_bearer(owner.token))
    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="customers-')
    assert response.headers["content-disposition"].endswith('.csv"')
    rows = {row["external_id"]: row for row in _csv_rows(response.content)}
    assert (rows["57"]["first_name"], rows["57"]["phone"], rows["57"]["total_spent"]) == (
        "سارا",
        "'+989121234567",
        "1250000",
    )
    assert rows["58"]["first_name"] == "'=cmd|' /C calc'!A0"


async def test_an_owner_downloads_a_search_as_xlsx(client: ApiClient) -> None:
    """format=xlsx&search=…: a workbook with the header and the one matching customer."""
    # given
    owner = await make_owner()
    await _customers(owner)
    # when
    response = await client.http.get(
        EXPORT,
        params={"format": "xlsx", "search": "سارا", "tenant": owner.tenant_id},
        headers=_bearer(owner.token),
    )
    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith('.xlsx"')
    [header, row] = read_xlsx(response.content)["customers"]
    assert [text for _, text, _ in header][:3] == ["id", "external_id", "first_name"]
    assert [text for _, text, _ in row][1:3] == ["57", "سارا"]


async def test_a_segment_export_holds_the_segments_current_members(client: ApiClient) -> None:
    """segment=<id>: the member who is in, not the one who left nor the one never in."""
    # given
    owner = await make_owner()
    sara, other = await _customers(owner)
    segment = await Segment.create(tenant_id=owner.tenant.id, name="VIP", kind="static")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    await SegmentMembership.create(
        tenant_id=owner.tenant.id, segment_id=segment.id, customer_id=sara.id, entered_at=now
    )
    await SegmentMembership.create(
        tenant_id=owner.tenant.id, segment_id=segment.id, customer_id=other.id, entered_at=now, left_at=now
    )
    # when
    response = await client.http.get(
        EXPORT, params={"segment": str(segment.id)}, headers=_bearer(owner.token)
    )
    # then
    assert response.status_code == 200, response.text
    assert [row["external_id"] for row in _csv_rows(response.content)] == ["57"]


async def test_another_stores_segment_is_not_found(client: ApiClient) -> None:
    """A segment id of another store, or not an id at all: 404 NOT_FOUND on segment."""
    # given
    owner, other = await make_owner(), await make_owner()
    theirs = await Segment.create(tenant_id=other.tenant.id, name="Theirs", kind="static")
    # when
    foreign = await client.http.get(EXPORT, params={"segment": str(theirs.id)}, headers=_bearer(owner.token))
    garbled = await client.http.get(EXPORT, params={"segment": "nope"}, headers=_bearer(owner.token))
    # then
    for response in (foreign, garbled):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
        assert response.json()["error"]["field"] == "segment"


async def test_callers_without_customers_read_are_refused(client: ApiClient) -> None:
    """No token 401; a store key (no customers/read) 403; another store's tenant id 403."""
    # given
    owner, other = await make_owner(), await make_owner()
    key = await make_store_key(owner)
    # when
    anonymous = await client.http.get(EXPORT)
    store_key = await client.http.get(EXPORT, headers=_bearer(key))
    foreign = await client.http.get(EXPORT, params={"tenant": other.tenant_id}, headers=_bearer(owner.token))
    # then
    assert (anonymous.status_code, store_key.status_code, foreign.status_code) == (401, 403, 403)
    assert foreign.json()["error"]["code"] == "FORBIDDEN"


async def test_an_analyst_may_export(client: ApiClient) -> None:
    """customers/read is enough: an analyst of the store downloads the file."""
    # given
    owner = await make_owner()
    await _customers(owner)
    analyst = await tenancy.create_user(
        email="analyst@example.ir", password="correct horse battery", full_name="A"
    )
    await tenancy.grant_role(user_id=analyst.id, tenant_id=owner.tenant.id, role="analyst")
    token = issue_access_token(analyst.id, secret=TEST_SECRET, minutes=30)
    # when
    response = await client.http.get(EXPORT, headers=_bearer(token))
    # then
    assert response.status_code == 200
    assert len(_csv_rows(response.content)) == 2


async def test_a_bad_format_or_search_is_a_400_with_the_typed_error(client: ApiClient) -> None:
    """format=pdf and a search with NUL: 400 INVALID naming the parameter."""
    # given
    owner = await make_owner()
    # when
    pdf = await client.http.get(EXPORT, params={"format": "pdf"}, headers=_bearer(owner.token))
    nul = await client.http.get(EXPORT, params={"search": "a\x00b"}, headers=_bearer(owner.token))
    # then
    assert pdf.status_code == nul.status_code == 400
    assert pdf.json() == {
        "error": {"code": "INVALID", "message": "format must be csv or xlsx.", "field": "format"}
    }
    assert nul.json()["error"]["field"] == "search"
