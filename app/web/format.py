"""How dates read on the pages: "27 Dec 2025", ranges, times in UTC, "in 31 days"."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from app.domain.audit import utc_iso


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def day(value: date | str | None) -> str:
    """27 Dec 2025 (an empty string for no date)."""
    if not value:
        return ""
    d = _as_date(value)
    return f"{d.day} {d:%b %Y}"


def span(earliest: date | str, latest: date | str | None) -> str:
    """A day, or the bounds the sources allow: "between 23 Apr 2025 and 24 Apr 2025"."""
    if not latest or latest == earliest:
        return day(earliest)
    return f"between {day(earliest)} and {day(latest)}"


def moment(value: datetime | str) -> str:
    """27 Nov 2026, 14:03:09 UTC."""
    text = value if isinstance(value, str) else utc_iso(value)
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return f"{when.day} {when:%b %Y, %H:%M:%S} UTC"


def days_from_now(days: int) -> str:
    """today, tomorrow, in 31 days, 3 days ago."""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def register(app: Flask) -> None:
    app.add_template_filter(day)
    app.add_template_filter(span)
    app.add_template_filter(moment)
    app.add_template_filter(days_from_now)
