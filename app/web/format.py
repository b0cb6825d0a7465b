"""How dates read on the pages: "27 Dec 2025", ranges, times in UTC, "in 31 days"; and the
sentences the domain writes (a basis, an error), read with the same dates and field labels.

The domain keeps ISO dates in its data and in its sentences (the API and the CLI give them as
they are); a page turns every date of a sentence into the pages' one format here."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from flask import Flask

from app.domain.action_words import kind_label
from app.domain.audit import utc_iso


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


# A page writes the same few dates and moments on many rows (every event of a bulk import
# recorded in one second): each distinct value is formatted once.
@lru_cache(maxsize=4096)
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


@lru_cache(maxsize=4096)
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


# An ISO date in a sentence, but not one given as the example of the ISO format itself.
ISO_DAY = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-]| \(YYYY-MM-DD\))")


def dates_in(text: str | None) -> str:
    """A sentence with each ISO date in it as the pages write dates: "2025-06-27 + 6 months"
    reads "27 Jun 2025 + 6 months"; what is not a real date is left as it was."""

    def reads(match: re.Match[str]) -> str:
        try:
            return day(date(*(int(g) for g in match.groups())))
        except ValueError:
            return match.group(0)

    return ISO_DAY.sub(reads, text or "")


def without_field(message: str, field: str | None) -> str:
    """An error's message without its leading "field: ", to show beside that field."""
    prefix = f"{field}: "
    return message[len(prefix) :] if field and message.startswith(prefix) else message


# The labels of the fields every form names the same way; a form's own fields (a step's
# evidence) pass theirs.
FIELD_LABELS = {
    "occurred_on": "Date it happened",
    "as_of": "As of",
    "began_on": "Procedure began on",
    "in_force_since": "Treaty in force for the State since",
    "comment": "Comment",
    "reason": "Reason",
    "country": "Country",
    "treaty": "Treaty",
    "workflow": "Procedure",
    "since": "Recorded from",
    "until": "Recorded until",
    "older_than": "Page position (older than)",
    "newer_than": "Page position (newer than)",
    "expected_version": "The case's version the form was made from",
    "add": "Cases to add",
    "remove": "Members to take out",
}


def field_label(field: str) -> str:
    """A field's label where the form does not give one: "evidence.votes_for" -> "Votes for"."""
    return FIELD_LABELS.get(field) or field.removeprefix("evidence.").replace("_", " ").capitalize()


def said(message: str, field: str | None, label: str | None = None) -> str:
    """An error as a person reads it: the field named by its label, the dates as on the pages
    ("Date it happened: 1 Jul 2025 lies after today"), not "occurred_on: 2025-07-01 ..."."""
    text = without_field(message, field)
    if field and text != message:
        text = f"{label or field_label(field)}: {text}"
    return dates_in(text)


def sentence(text: str) -> str:
    """The text with its first letter a capital and the rest as written (Jinja's `capitalize`
    lowers the rest: "the Saeima" became "the saeima")."""
    return text[:1].upper() + text[1:]


def overdue(days: int) -> str:
    """How far a due date is: "182 days overdue", "due today", "due in 5 days"."""
    if days < 0:
        return f"{-days} day{'s' if days < -1 else ''} overdue"
    if days == 0:
        return "due today"
    return "due tomorrow" if days == 1 else f"due in {days} days"


def register(app: Flask) -> None:
    app.add_template_filter(dates_in)
    app.add_template_filter(without_field)
    app.add_template_filter(said)
    app.add_template_filter(sentence)
    app.add_template_filter(overdue)
    app.add_template_filter(day)
    app.add_template_filter(span)
    app.add_template_filter(moment)
    app.add_template_filter(days_from_now)
    app.add_template_filter(kind_label)
