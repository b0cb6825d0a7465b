"""CSV cells a spreadsheet cannot run: the one place every CSV writer of the app goes through."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence

# OWASP "CSV Injection": a cell starting with one of these is read as a formula by Excel,
# LibreOffice or Google Sheets; a leading single quote makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell prefixed with ' when a spreadsheet would run it as a formula; others as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Mapping[str, object]) -> dict[str, object]:
    """Every cell of a CSV row through `safe_cell`."""
    return {key: safe_cell(value) for key, value in row.items()}


def csv_chunks(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> Iterator[str]:
    """The header, then each row, as CSV text to stream; every cell through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(safe_row(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
