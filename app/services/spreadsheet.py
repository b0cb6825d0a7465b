"""CSV cells a spreadsheet cannot run: the one place every CSV writer of the app goes through."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

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
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    checked = [(column, column not in plain) for column in columns]
    for n, row in enumerate(rows, start=1):
        cells = ((row.get(column, ""), check) for column, check in checked)
        writer.writerow([safe_cell(cell) if check else cell for cell, check in cells])
        if n % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
