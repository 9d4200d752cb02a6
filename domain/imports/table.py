"""Reading an imported CSV file into rows of named cells, with the line each row starts on.

The file must be UTF-8 (a byte order mark is fine: Excel's "CSV UTF-8" writes one). The first line names
the columns, in any letter case (``Order ID`` and ``order_id`` are one column); the cells are separated by
commas, or by semicolons or tabs when the header line uses those instead. Blank lines are skipped. What is
wrong with the file as a whole (not UTF-8, no header, an unknown or repeated column, a missing required
column, broken quoting) is reported as rejected lines, like what is wrong with a row, so nothing is ever
raised for bad content; only the limits (:data:`MAX_FILE_BYTES`, :data:`MAX_ROWS`) refuse a file outright.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from domain.errors import DomainError

MAX_FILE_BYTES: Final = 20 * 1024 * 1024
"""The largest file an import takes (20 MiB): about 200,000 order lines."""

MAX_ROWS: Final = 200_000
"""The most rows (lines after the header) one import takes; split a larger file."""

MAX_CELL_CHARS: Final = 1_000
"""The longest cell: no column of either file needs more (product names are cut at 255 anyway)."""

PROGRESS_EVERY: Final = 1_000
"""How many rows are read between two calls of a progress callback."""

Progress = Callable[[int], None]
"""Called with how many rows have been read so far."""


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """One problem of an imported file: the line it is on (1 is the header), the column, what is wrong."""

    line: int
    field: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Row:
    """One line of data: the line it starts on and its non-blank cells by column (trimmed)."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True, slots=True)
class Columns:
    """The columns a kind of file may have, and which of them it must have."""

    allowed: tuple[str, ...]
    required: frozenset[str] = frozenset()
    one_of: frozenset[str] = field(default_factory=frozenset)
    """At least one of these columns must be present (the ways of recognising a customer)."""


@dataclass
class Table:
    """The rows of a file and the problems found while reading it (a row with one is not in ``rows``)."""

    rows: list[Row] = field(default_factory=list)
    problems: list[RejectedRow] = field(default_factory=list)
    read: int = 0
    """How many rows were read, those with problems included."""


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


def normalise_header(name: str) -> str:
    """``" Order ID "`` → ``order_id``: trimmed, lower case, spaces and hyphens as underscores."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def read_table(content: bytes, *, columns: Columns, progress: Progress | None = None) -> Table:
    """Read ``content`` as a CSV file with the given columns.

    Raises ``DomainError`` ``FILE_TOO_LARGE`` past :data:`MAX_FILE_BYTES` and ``TOO_MANY_ROWS`` past
    :data:`MAX_ROWS`; every other problem is a :class:`RejectedRow` of the returned table.
    """
    if len(content) > MAX_FILE_BYTES:
        raise DomainError(
            "FILE_TOO_LARGE",
            f"The file is {len(content):,} bytes; an import takes at most {MAX_FILE_BYTES:,} bytes "
            f"(20 MB). Split it into smaller files.",
            field="file",
        )
    table = Table()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        table.problems.append(
            RejectedRow(
                line,
                None,
                f"The file is not UTF-8 text (byte 0x{content[exc.start]:02x} on this line). "
                "Save it as “CSV UTF-8” and try again.",
            )
        )
        return table
    if not text.strip():
        table.problems.append(
            RejectedRow(1, None, "The file is empty: the first line must name the columns.")
        )
        return table
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text))
    try:
        _read(reader, table, columns, progress)
    except csv.Error as exc:
        table.problems.append(RejectedRow(reader.line_num, None, f"The line cannot be read as CSV: {exc}."))
    return table


def _dialect(text: str) -> type[csv.Dialect]:
    header = text.split("\n", 1)[0]
    counts = {",": header.count(","), ";": header.count(";"), "\t": header.count("\t")}
    delimiter = max(counts, key=lambda candidate: counts[candidate]) if any(counts.values()) else ","
    return csv.excel_tab if delimiter == "\t" else _SEMICOLON if delimiter == ";" else csv.excel


class _SEMICOLON(csv.excel):
    delimiter = ";"


def _read(reader: _Reader, table: Table, columns: Columns, progress: Progress | None) -> None:
    names = [normalise_header(name) for name in next(reader)]
    table.problems.extend(_header_problems(names, columns))
    if table.problems:
        return
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1  # a quoted cell may span lines: a row starts where it starts
        if not any(cell.strip() for cell in cells):
            continue
        if table.read >= MAX_ROWS:
            raise DomainError(
                "TOO_MANY_ROWS",
                f"An import takes at most {MAX_ROWS:,} rows; split the file (the row on line {start:,} "
                "is one too many).",
                field="file",
            )
        table.read += 1
        if len(cells) > len(names) or any(len(cell) > MAX_CELL_CHARS for cell in cells):
            table.problems.extend(_cell_problems(start, names, cells))
        else:
            table.rows.append(
                Row(start, {n: c.strip() for n, c in zip(names, cells, strict=False) if c.strip()})
            )
        if progress is not None and table.read % PROGRESS_EVERY == 0:
            progress(table.read)
    if not table.read:
        table.problems.append(RejectedRow(2, None, "The file has a header but no rows."))
    if progress is not None:
        progress(table.read)


def _header_problems(names: Sequence[str], columns: Columns) -> Iterator[RejectedRow]:
    allowed = ", ".join(columns.allowed)
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            yield RejectedRow(1, None, f"Column {position} has no name; the columns are: {allowed}.")
        elif name not in columns.allowed:
            yield RejectedRow(
                1, name[:100], f"Unknown column “{name[:100]}”; the columns of this file are: {allowed}."
            )
        elif name in seen:
            yield RejectedRow(1, name, f"The column {name} appears twice.")
        seen.add(name)
    for name in sorted(columns.required - seen):
        yield RejectedRow(1, name, f"The column {name} is required.")
    if columns.one_of and not columns.one_of & seen:
        wanted = ", ".join(sorted(columns.one_of))
        yield RejectedRow(1, None, f"The file needs at least one of the columns {wanted}.")


def _cell_problems(line: int, names: Sequence[str], cells: Sequence[str]) -> Iterator[RejectedRow]:
    if len(cells) > len(names):
        yield RejectedRow(
            line, None, f"The line has {len(cells)} cells but the header names {len(names)} columns."
        )
    for name, cell in zip(names, cells, strict=False):
        if len(cell) > MAX_CELL_CHARS:
            yield RejectedRow(
                line, name, f"The cell has {len(cell):,} characters; at most {MAX_CELL_CHARS:,} are allowed."
            )
