"""Importing a customers file: one customer event per row, all or nothing, safe to repeat."""

from __future__ import annotations

from domain.customers.models import Customer
from domain.events.models import IngestedEvent
from domain.events.processing import process_pending
from domain.imports.service import ImportKind, import_file
from domain.imports.table import RejectedRow
from tests.support.events import NOW
from tests.support.factories import make_owner

CUSTOMERS = """\ufeffExternal ID,Phone,Email,First_Name,last_name,city,birthday,marketing_consent
57,۰۹۱۲۱۲۳۴۵۶۷,Sara@Example.com,سارا,احمدی,تهران,1992-08-14,بله
58,09351112233,,Reza,,Shiraz,,no
""".encode()


async def test_each_row_becomes_a_customer_once_the_events_are_processed(db: None) -> None:
    """Two rows → two accepted events with source import, processed into two customers as sent."""
    # given
    owner = await make_owner()
    # when
    report = await import_file(
        tenant_id=owner.tenant.id, kind=ImportKind.CUSTOMERS, content=CUSTOMERS, now=NOW
    )
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert (report.stored, report.rows, report.accepted, report.duplicates) == (True, 2, 2, 0)
    assert (
        await IngestedEvent.filter(tenant_id=owner.tenant.id, source="import", status="processed").count()
        == 2
    )
    sara = await Customer.get(tenant_id=owner.tenant.id, external_id="57")
    assert (sara.phone, sara.email, sara.first_name, sara.city) == (
        "+989121234567",
        "sara@example.com",
        "سارا",
        "تهران",
    )
    assert sara.birthday is not None and sara.birthday.isoformat() == "1992-08-14"
    reza = await Customer.get(tenant_id=owner.tenant.id, external_id="58")
    assert reza.marketing_consent is False


async def test_importing_the_same_file_again_stores_nothing_and_reports_duplicates(db: None) -> None:
    """Event ids come from the file's digest and the line: the second import is all duplicates."""
    # given
    owner = await make_owner()
    await import_file(tenant_id=owner.tenant.id, kind=ImportKind.CUSTOMERS, content=CUSTOMERS, now=NOW)
    # when
    again = await import_file(
        tenant_id=owner.tenant.id, kind=ImportKind.CUSTOMERS, content=CUSTOMERS, now=NOW
    )
    # then
    assert (again.stored, again.accepted, again.duplicates) == (True, 0, 2)
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == 2


async def test_one_bad_row_stores_nothing_and_each_problem_is_named_by_line_and_column(db: None) -> None:
    """A row with a bad e-mail, a Solar Hijri birthday and no phone number: nothing of the file is stored."""
    # given
    owner = await make_owner()
    content = (
        b"external_id,phone,email,birthday,marketing_consent\n"
        b"57,09121234567,sara@example.com,1992-08-14,yes\n"
        b"58,12345,reza@example.com,1371-05-23,perhaps\n"
        b",,,,\n"
        b",,,1990-01-01,\n"
    )
    # when
    report = await import_file(tenant_id=owner.tenant.id, kind=ImportKind.CUSTOMERS, content=content, now=NOW)
    # then
    assert (report.stored, report.accepted, report.rejected_rows) == (False, 0, 2)
    assert [(problem.line, problem.field) for problem in report.problems] == [
        (3, "birthday"),
        (3, "marketing_consent"),
        (3, "phone"),
        (5, None),
    ]
    assert report.problems[3] == RejectedRow(5, None, "Fill in the customer's external_id, phone or email.")
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == 0


async def test_a_column_the_file_cannot_have_rejects_the_header(db: None) -> None:
    """An unknown column is named on line 1 with the columns a customers file may have."""
    # given
    owner = await make_owner()
    content = b"external_id,phone,colour\n57,09121234567,blue\n"
    # when
    report = await import_file(tenant_id=owner.tenant.id, kind=ImportKind.CUSTOMERS, content=content, now=NOW)
    # then
    assert not report.stored
    [problem] = report.problems
    assert (problem.line, problem.field) == (1, "colour")
    assert "Unknown column" in problem.message and "external_id, phone, email" in problem.message
