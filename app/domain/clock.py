"""The treaty clock: when a withdrawal takes effect, and the order of dates along a case.

Calendar-month arithmetic (python-dateutil's relativedelta): the day of the month is kept and
clipped to the month's end, so 31 Aug + 6 months is 28 Feb (29 Feb in a leap year).
"Today" is always passed in; nothing here reads the system clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from app.domain.errors import InvalidInput, NotAllowed


@dataclass(frozen=True)
class NoticePeriod:
    """A treaty's notice period in calendar months and/or days."""

    months: int = 0
    days: int = 0

    def after(self, start: date) -> date:
        """The day the period ends when it starts on `start`."""
        return start + relativedelta(months=self.months, days=self.days)

    def clips(self, start: date) -> bool:
        """Whether the months land on a shorter month, so the day is clipped to its end."""
        return bool(self.months) and (start + relativedelta(months=self.months)).day != start.day

    def __str__(self) -> str:
        parts = [_plural(self.months, "month"), _plural(self.days, "day")]
        return " + ".join(p for p in parts if p)


def _plural(n: int, unit: str) -> str:
    if not n:
        return ""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


@dataclass(frozen=True)
class ClockRule:
    """A withdrawal clause: how long after the depositary's receipt the withdrawal takes effect."""

    article: str
    notice_period: NoticePeriod
    later_date_allowed: bool = False
    armed_conflict_deferral: bool = False


@dataclass(frozen=True)
class EffectiveDate:
    """A computed date together with the sentence that explains how it was computed."""

    on: date
    basis: str


def period_end(rule: ClockRule, received_on: date) -> EffectiveDate:
    """The end of the notice period that starts on the depositary's receipt."""
    end = rule.notice_period.after(received_on)
    basis = f"{received_on.isoformat()} + {rule.notice_period}"
    if rule.notice_period.clips(received_on):
        basis += f" = {end.isoformat()} (day clipped to the month's end)"
    return EffectiveDate(end, f"{basis}, {rule.article}")


def effective_date(
    rule: ClockRule,
    received_on: date,
    named_on: date | None = None,
    conflict_ended_on: date | None = None,
) -> EffectiveDate:
    """When the withdrawal takes effect: period end, a later date named in the notice, or the
    end of an armed conflict that was under way when the period ended."""
    end = period_end(rule, received_on)
    if conflict_ended_on is not None:
        return EffectiveDate(
            conflict_ended_on,
            f"end of the armed conflict on {conflict_ended_on.isoformat()}; the notice period "
            f"ended during it ({end.basis})",
        )
    if named_on is not None and named_on > end.on:
        return EffectiveDate(
            named_on,
            f"date named in the notice, later than {received_on.isoformat()} + "
            f"{rule.notice_period}, {rule.article}",
        )
    return end


def check_named_date(rule: ClockRule, received_on: date, named_on: date) -> None:
    """Refuse a date named in the notice that the clause does not allow."""
    end = period_end(rule, received_on)
    if not rule.later_date_allowed:
        raise InvalidInput(
            f"{rule.article} does not allow the notice to name a later date; the withdrawal "
            f"takes effect on {end.on.isoformat()} ({end.basis})",
            field="evidence.effective_on_named",
        )
    if named_on <= end.on:
        raise InvalidInput(
            f"a date named in the notice must be later than the end of the notice period, "
            f"{end.on.isoformat()} ({end.basis}); got {named_on.isoformat()}",
            field="evidence.effective_on_named",
        )


@dataclass(frozen=True)
class DateSpan:
    """When something happened: an exact day, or the bounds the sources allow."""

    earliest: date
    latest: date

    @classmethod
    def exact(cls, day: date) -> DateSpan:
        return cls(day, day)

    @property
    def is_exact(self) -> bool:
        return self.earliest == self.latest

    def __str__(self) -> str:
        if self.is_exact:
            return self.earliest.isoformat()
        return f"{self.earliest.isoformat()}..{self.latest.isoformat()}"


def parse_span(text: str, field: str = "occurred_on") -> DateSpan:
    """Parse `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD` (a date known only within bounds)."""
    first, sep, last = text.strip().partition("..")
    earliest = parse_date(first, field)
    latest = parse_date(last, field) if sep else earliest
    if latest < earliest:
        raise InvalidInput(
            f"{field}: the range {text!r} ends before it starts; write EARLIEST..LATEST",
            field=field,
        )
    return DateSpan(earliest, latest)


def parse_date(text: str, field: str) -> date:
    """Parse an ISO date, naming the field and the expected format when it is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{field}: {text!r} is not a date; use YYYY-MM-DD (e.g. 2025-06-27)", field=field
        ) from None


def check_chronology(previous: date | None, span: DateSpan, today: date) -> None:
    """Dates along a case never go backwards and never lie after today."""
    if span.latest > today:
        raise NotAllowed(
            f"occurred_on: {span} lies after today ({today.isoformat()}); record only what has "
            "happened",
            field="occurred_on",
        )
    if previous is not None and span.earliest < previous:
        raise NotAllowed(
            f"occurred_on: {span} is before {previous.isoformat()}, the date of the case's "
            "previous step; dates along a case never go backwards (to fix an earlier date, "
            "correct that event)",
            field="occurred_on",
        )
