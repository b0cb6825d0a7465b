"""CSV cells a spreadsheet cannot run: the one place every CSV writer of the app goes through."""

from __future__ import annotations

from collections.abc import Mapping

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
