"""CSV cells a spreadsheet cannot run: the one place every CSV writer of the app goes through."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from itertools import islice

# OWASP "CSV Injection": a cell starting with one of these is read as a formula by Excel,
# LibreOffice or Google Sheets; a leading single quote makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell prefixed with ' when a spreadsheet would run it as a formula; others as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(
    columns: Sequence[str],
    rows: Iterable[Mapping[str, object]],
    rows_per_chunk: int = 500,
    plain: Collection[str] = (),
) -> Iterator[str]:
    """The header, then the rows a chunk of them at a time, as CSV text to stream; a missing
    cell empty. Every cell goes through `safe_cell` but those of the `plain` columns, which the
    caller vouches hold no free text (numbers, dates, hashes, ids from the definitions)."""
    checked = [n for n, column in enumerate(columns) if column not in plain]
    return csv_lines(columns, (_cells(row, columns, checked) for row in rows), rows_per_chunk)


def csv_lines(
    columns: Sequence[str], rows: Iterable[Sequence[object]], rows_per_chunk: int = 500
) -> Iterator[str]:
    """The header, then rows already made of their cells in the columns' order, a chunk of
    them at a time: for a writer that puts each of its free-text cells through `safe_cell`
    itself (the audit export: a million rows, no dict between the record and its cells)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    pending = iter(rows)
    while chunk := list(islice(pending, rows_per_chunk)):
        writer.writerows(chunk)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _cells(row: Mapping[str, object], columns: Sequence[str], checked: list[int]) -> list[object]:
    """The row's cells in the columns' order, those at the `checked` positions made safe."""
    cells = [row.get(column, "") for column in columns]
    for n in checked:
        cells[n] = safe_cell(cells[n])
    return cells
