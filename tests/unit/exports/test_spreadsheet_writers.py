"""The CSV and XLSX writers: Excel opens Persian text, no cell runs as a formula, XLSX reads back."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from domain.exports.writers import csv_file, defused, xlsx_file

NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
HOSTILE = ['=HYPERLINK("http://x")', "+98912", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


async def _chunks(*chunks: list[dict[str, Any]]) -> AsyncIterator[list[dict[str, Any]]]:
    for chunk in chunks:
        yield chunk


async def _bytes(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([block async for block in stream])


def read_xlsx(content: bytes) -> dict[str, list[list[tuple[str | None, str | None, bool]]]]:
    """Each sheet's rows of (cell type, text, holds a formula), read with the standard library only."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in item.iter(f"{{{NS['x']}}}t")) for item in root]
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        titles = [sheet.get("name") for sheet in workbook.iterfind("x:sheets/x:sheet", NS)]
        sheets = {}
        for number, title in enumerate(titles, start=1):
            root = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{number}.xml"))
            rows = []
            for row in root.iterfind("x:sheetData/x:row", NS):
                cells = []
                for cell in row.iterfind("x:c", NS):
                    kind, value = cell.get("t"), cell.find("x:v", NS)
                    text = value.text if value is not None else None
                    if kind == "s" and text is not None:
                        text = shared[int(text)]
                    elif kind == "inlineStr":
                        text = "".join(t.text or "" for t in cell.iter(f"{{{NS['x']}}}t"))
                    cells.append((kind, text, cell.find("x:f", NS) is not None))
                rows.append(cells)
            sheets[str(title)] = rows
    return sheets


def test_text_that_starts_like_a_formula_is_prefixed_with_an_apostrophe() -> None:
    """= + - @ tab and CR at the start of text are defused; other text is left alone."""
    # when
    defused_texts = [defused(text) for text in HOSTILE]
    # then
    assert defused_texts == [f"'{text}" for text in HOSTILE]
    assert defused("سارا = خوب") == "سارا = خوب"


async def test_csv_starts_with_a_byte_order_mark_and_keeps_persian_text() -> None:
    """UTF-8 with BOM, the header, then the rows; Persian text comes back as written."""
    # given
    rows = _chunks([{"name": "سارا", "spent": Decimal("0.00")}], [{"name": "رضا", "spent": Decimal("19.99")}])
    # when
    content = await _bytes(csv_file(rows, columns=["name", "spent"]))
    # then
    assert content.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == [
        ["name", "spent"],
        ["سارا", "0.00"],
        ["رضا", "19.99"],
    ]


async def test_csv_defuses_hostile_text_but_not_numbers() -> None:
    """Text cells starting a formula get an apostrophe; a negative number stays a number."""
    # given
    rows = _chunks([{"text": text, "number": -5} for text in HOSTILE])
    # when
    content = await _bytes(csv_file(rows, columns=["text", "number"]))
    # then
    read = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))[1:]
    assert read == [[f"'{text}", "-5"] for text in HOSTILE]


async def test_xlsx_reads_back_with_strings_numbers_dates_and_no_formulas() -> None:
    """Hostile text is a string cell and never a formula; numbers, booleans and dates keep their types."""
    # given
    row = {
        "text": "=1+1",
        "name": "سارا",
        "spent": Decimal("1250000"),
        "consent": True,
        "at": datetime(2026, 12, 1, 10, 30, tzinfo=UTC),
        "birthday": date(1992, 8, 14),
        "tags": ["vip", "tehran"],
        "empty": None,
    }
    # when
    content = await _bytes(xlsx_file(_chunks([row]), columns=list(row)))
    # then
    [header, cells] = read_xlsx(content)["customers"]
    assert [text for _, text, _ in header] == list(row)
    assert not any(formula for _, _, formula in cells)
    kinds = [kind for kind, _, _ in cells]
    texts = [text for _, text, _ in cells]
    assert texts[:2] == ["=1+1", "سارا"] and kinds[:2] == ["inlineStr", "inlineStr"]
    assert float(texts[2] or 0) == 1250000 and kinds[2] is None
    assert (kinds[3], texts[3]) == ("b", "1")
    assert float(texts[4] or 0) == 46357.4375  # 2026-12-01 10:30 as an Excel serial date
    assert float(texts[5] or 0) == 33830  # 1992-08-14
    assert texts[6] == "vip, tehran"
    assert len(cells) == 7  # the empty cell is not written


async def test_an_empty_xlsx_still_has_its_header() -> None:
    """No rows: one sheet with the header only."""
    # when
    content = await _bytes(xlsx_file(_chunks(), columns=["id", "phone"]))
    # then
    sheets = read_xlsx(content)
    assert {title: [[text for _, text, _ in row] for row in rows] for title, rows in sheets.items()} == {
        "customers": [["id", "phone"]]
    }
