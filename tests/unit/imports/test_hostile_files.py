"""Files at and past the limits: every one is answered with a clear problem or refusal, never a crash."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.events.models import IngestedEvent
from domain.imports.service import ImportKind, import_file
from domain.imports.table import MAX_CELL_CHARS, MAX_FILE_BYTES, MAX_ROWS
from tests.support.events import NOW
from tests.support.factories import make_owner


async def _problems(
    content: bytes, kind: ImportKind = ImportKind.CUSTOMERS
) -> list[tuple[int, str | None, str]]:
    owner = await make_owner()
    report = await import_file(tenant_id=owner.tenant.id, kind=kind, content=content, now=NOW)
    assert not report.stored
    assert await IngestedEvent.all().count() == 0
    return [(problem.line, problem.field, problem.message) for problem in report.problems]


async def test_an_empty_file_and_a_file_of_blank_lines_are_empty(db: None) -> None:
    """No header at all: one problem on line 1 saying the first line must name the columns."""
    # when
    empty = await _problems(b"")
    blank = await _problems(b"\xef\xbb\xbf \r\n\r\n")
    # then
    assert empty == blank == [(1, None, "The file is empty: the first line must name the columns.")]


async def test_a_header_without_rows_has_no_rows(db: None) -> None:
    """Only the header: a problem on line 2."""
    # when
    problems = await _problems(b"external_id,phone\n\n")
    # then
    assert problems == [(2, None, "The file has a header but no rows.")]


async def test_a_cell_of_ten_thousand_characters_is_refused_by_its_column(db: None) -> None:
    """A 10,000-character name: too long for any column, named with its length."""
    # when
    problems = await _problems(f"external_id,first_name\n57,{'ا' * 10_000}\n".encode())
    # then
    assert problems == [
        (2, "first_name", f"The cell has 10,000 characters; at most {MAX_CELL_CHARS:,} are allowed.")
    ]


async def test_nul_and_control_characters_are_refused_in_their_cells(db: None) -> None:
    """NUL in an e-mail, a bell in a name: each row is rejected on the column that carries it."""
    # when
    problems = await _problems(b"external_id,email,first_name\n57,a\x00@x.ir,Sara\n58,b@x.ir,Re\x07za\n")
    # then
    assert problems == [
        (2, "email", "Text may not contain the NUL character (\\u0000)"),
        (3, "first_name", "Text may not contain control characters (\\u0001-\\u001f, \\u007f)"),
    ]


async def test_a_file_that_is_not_utf8_says_so_with_the_line(db: None) -> None:
    """Windows-1256 Persian on line 3: not UTF-8, and how to save it."""
    # when
    problems = await _problems("external_id,first_name\n57,Sara\n58,سارا\n".encode("cp1256"))
    # then
    [(line, field, message)] = problems
    assert (line, field) == (3, None)
    assert "not UTF-8" in message and "CSV UTF-8" in message


async def test_a_file_over_20_mb_is_refused_before_it_is_read(db: None) -> None:
    """A 50 MB file: FILE_TOO_LARGE on file, nothing stored."""
    # given
    owner = await make_owner()
    content = b"external_id\n" + b"1234567\n" * (50 * 1024 * 1024 // 8)
    # when
    with pytest.raises(DomainError) as refused:
        await import_file(tenant_id=owner.tenant.id, kind=ImportKind.CUSTOMERS, content=content, now=NOW)
    # then
    assert (refused.value.code, refused.value.field) == ("FILE_TOO_LARGE", "file")
    assert f"{MAX_FILE_BYTES:,}" in refused.value.message
    assert await IngestedEvent.all().count() == 0


async def test_more_rows_than_an_import_takes_are_refused(db: None) -> None:
    """200,001 rows: TOO_MANY_ROWS naming the limit and the line of the first row too many."""
    # given
    owner = await make_owner()
    content = b"external_id\n" + b"".join(b"%d\n" % number for number in range(MAX_ROWS + 1))
    # when
    with pytest.raises(DomainError) as refused:
        await import_file(tenant_id=owner.tenant.id, kind=ImportKind.CUSTOMERS, content=content, now=NOW)
    # then
    assert refused.value.code == "TOO_MANY_ROWS"
    assert "200,000" in refused.value.message and "line 200,002" in refused.value.message


async def test_wrong_types_and_numbers_out_of_range_are_named(db: None) -> None:
    """A quantity that is text, one beyond 32 bits, a negative total, a time that is not one."""
    # when
    problems = await _problems(
        b"order_id,status,total,placed_at,product_id,quantity\n"
        b"1,completed,10,2024-12-20T10:00:00Z,88,two\n"
        b"2,completed,10,2024-12-20T10:00:00Z,88,99999999999\n"
        b"3,completed,-5,2024-12-20T10:00:00Z,,\n"
        b"4,shipped,10,someday,,\n",
        ImportKind.ORDERS,
    )
    # then
    assert [(line, field) for line, field, _ in problems] == [
        (2, "quantity"),
        (3, "quantity"),
        (4, "total"),
        (5, "placed_at"),
        (5, "status"),
    ]


async def test_broken_csv_rows_are_named_by_line(db: None) -> None:
    """More cells than the header, a header with a nameless and a repeated column."""
    # when
    extra = await _problems(b"external_id,phone\n57,09121234567,surplus\n")
    header = await _problems(b"external_id,,Phone,phone\n57,,0912,0912\n")
    # then
    assert extra == [(2, None, "The line has 3 cells but the header names 2 columns.")]
    assert [(line, field) for line, field, _ in header] == [(1, None), (1, "phone")]


async def test_semicolon_separated_files_from_excel_are_read(db: None) -> None:
    """Excel in some locales separates cells with semicolons: such a file is read alike."""
    # given
    owner = await make_owner()
    # when
    report = await import_file(
        tenant_id=owner.tenant.id,
        kind=ImportKind.CUSTOMERS,
        content=b"external_id;phone\r\n57;09121234567\r\n",
        now=NOW,
    )
    # then
    assert (report.stored, report.accepted) == (True, 1)
