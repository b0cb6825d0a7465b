"""Whole numbers from a query string, a form or a JSON body: checked for range before they
reach SQL (PostgreSQL's integer ends at 2**31 - 1), with a message naming the field."""

from __future__ import annotations

from app.domain.errors import InvalidInput
from app.persistence.models import INT_MAX

__all__ = [
    "INT_MAX",
    "MAX_PAGE",
    "ROUTE_ID",
    "bounded_int",
    "in_range",
    "optional_int",
    "page_number",
]
MAX_PAGE = 1_000_000  # pages of lists: far past the last page of a million rows
# A number in an address (an event's seq, a token's id): out of range, the address is a 404.
ROUTE_ID = f"int(min=1, max={INT_MAX})"


def in_range(value: object, field: str, low: int = 1, high: int = INT_MAX) -> int:
    """`value` if it is a whole number (not a bool) from `low` to `high`; else InvalidInput."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field}: a whole number from {low} to {high}", field=field)
    return value


def bounded_int(text: str, field: str, low: int = 1, high: int = INT_MAX) -> int:
    """Text of ASCII digits (`²` and 5,000 digits are refused before int()) as a number in
    `low`..`high`; else InvalidInput naming the field and the range."""
    text = text.strip()
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(high))
    return in_range(int(text) if digits else None, field, low, high)


def optional_int(
    text: str | None, field: str, default: int, low: int = 1, high: int = INT_MAX
) -> int:
    """`bounded_int`, or `default` when the text is missing or blank."""
    return bounded_int(text, field, low, high) if text and text.strip() else default


def page_number(text: str | None) -> int:
    """The `page` of a list, from 1 (when missing) to MAX_PAGE."""
    return optional_int(text, "page", 1, high=MAX_PAGE)
