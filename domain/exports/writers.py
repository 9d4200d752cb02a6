"""Writing exported rows as CSV or XLSX, a chunk at a time, as bytes to send.

CSV is UTF-8 with a byte order mark, which is how Excel knows the file is UTF-8 (without it Persian names
come out garbled). XLSX is written by xlsxwriter in ``constant_memory`` mode: each row goes to disk as it
is written, and the workbook is put together in a temporary file when the last row is in, then sent from
there; a sheet holds at most :data:`XLSX_ROWS_PER_SHEET` customers and the next ones go on another sheet.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before
one) as a formula, so text a customer typed could run in the store owner's spreadsheet. In CSV such text
is prefixed with an apostrophe (``'=HYPERLINK(…)``), which spreadsheets show as text; in XLSX every text
is written as a string cell, which is never evaluated. Numbers, dates and booleans are written as such.
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Final

import xlsxwriter

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
BOM: Final = "\ufeff"
XLSX_ROWS_PER_SHEET: Final = 1_048_575
"""Excel's 1,048,576 rows a sheet, less the header."""
XLSX_MAX_TEXT: Final = 32_767
"""The longest text an Excel cell holds."""
XLSX_EXACT_NUMBERS: Final = 2**53
"""Beyond this an Excel number (a double) is no longer exact: such amounts are written as text."""
SEND_BYTES: Final = 256 * 1024

Rows = AsyncIterator[list[dict[str, Any]]]
"""Chunks of rows, each row a mapping of column to value."""


def defused(text: str) -> str:
    """``text`` as a spreadsheet will show it and never run it: an apostrophe before a formula start."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(value: Any) -> str:
    """One CSV cell: blank for none, ISO 8601 for dates and times, plain decimals, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return defused(", ".join(str(item) for item in value))
    return defused(str(value))


async def csv_file(rows: Rows, *, columns: Sequence[str]) -> AsyncIterator[bytes]:
    """The CSV file, a chunk of rows at a time: the byte order mark and the header come first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(columns)
    yield _taken(buffer).encode()
    async for chunk in rows:
        writer.writerows([csv_text(row[column]) for column in columns] for row in chunk)
        yield _taken(buffer).encode()


def _taken(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


class _Sheets:
    """A workbook being written: the current sheet, its next row, and the cell formats."""

    def __init__(self, file: IO[bytes], columns: Sequence[str], title: str) -> None:
        self.workbook = xlsxwriter.Workbook(file, {"constant_memory": True, "strings_to_formulas": False})
        self.columns = columns
        self.title = title
        self.moment = self.workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.day = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.bold = self.workbook.add_format({"bold": True})
        self.sheets = 0
        self.row = XLSX_ROWS_PER_SHEET + 1  # no sheet yet: the first row opens one

    def write(self, chunk: list[dict[str, Any]]) -> None:
        for values in chunk:
            if self.row > XLSX_ROWS_PER_SHEET:
                self._new_sheet()
            for position, column in enumerate(self.columns):
                self._cell(position, values[column])
            self.row += 1

    def finish(self) -> None:
        """Put the workbook together; an empty selection still gets a sheet with the header."""
        if self.sheets == 0:
            self._new_sheet()
        self.workbook.close()

    def _new_sheet(self) -> None:
        self.sheets += 1
        self.sheet = self.workbook.add_worksheet(
            self.title if self.sheets == 1 else f"{self.title} {self.sheets}"
        )
        for position, column in enumerate(self.columns):
            self.sheet.write_string(0, position, column, self.bold)
        self.row = 1

    def _cell(self, position: int, value: Any) -> None:
        row, sheet = self.row, self.sheet
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, position, value)
        elif isinstance(value, int | float | Decimal):
            number = float(value)
            if math.isfinite(number) and abs(number) <= XLSX_EXACT_NUMBERS:
                sheet.write_number(row, position, number)
            else:
                sheet.write_string(row, position, csv_text(value))
        elif isinstance(value, datetime):
            sheet.write_datetime(row, position, value.replace(tzinfo=None), self.moment)
        elif isinstance(value, date):
            sheet.write_datetime(row, position, value, self.day)
        else:
            text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            sheet.write_string(row, position, text[:XLSX_MAX_TEXT])


async def xlsx_file(rows: Rows, *, columns: Sequence[str], title: str = "customers") -> AsyncIterator[bytes]:
    """The XLSX workbook: written row by row to disk (off the event loop), then sent from the disk."""
    with tempfile.TemporaryFile() as file:
        sheets = _Sheets(file, columns, title)
        async for chunk in rows:
            await asyncio.to_thread(sheets.write, chunk)
        await asyncio.to_thread(sheets.finish)
        file.seek(0)
        while block := await asyncio.to_thread(file.read, SEND_BYTES):
            yield block
