"""The treaty clock: when a withdrawal takes effect, whether a notice may be given yet, and
the order of dates along a case.

How each kind of clause computes its date is in app.domain.clauses; this module applies the
parts every clause shares: a date named in the notice, the armed-conflict deferral (a flag of
the treaty file), and an eligibility bar (notice only N years after entry into force).
"Today" is always passed in; nothing here reads the system clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from app.domain.clauses import (
    CLAUSE_KINDS,
    Clause,
    EffectiveDate,
    EndOfFinancialYear,
    EndOfYearAfterNotice,
    FirstOfMonthAfterPeriod,
    NamedDateMinNotice,
    NoticePeriod,
    PeriodAfterReceipt,
)
from app.domain.errors import InvalidInput, NotAllowed

__all__ = [
    "CLAUSE_KINDS",
    "DATE_EXAMPLE",
    "ClockRule",
    "DateSpan",
    "EffectiveDate",
    "EndOfFinancialYear",
    "EndOfYearAfterNotice",
    "FirstOfMonthAfterPeriod",
    "NamedDateMinNotice",
    "NoticePeriod",
    "PeriodAfterReceipt",
    "check_chronology",
    "check_eligibility",
    "check_named_date",
    "effective_date",
    "first_notice_day",
    "one_date_for_span",
    "parse_date",
    "parse_span",
    "period_end",
]


@dataclass(frozen=True)
class ClockRule:
    """A withdrawal clause: its article, its kind with its parameters, and the rules around it."""

    article: str
    clause: Clause
    armed_conflict_deferral: bool = False
    earliest_notice_after_years: int | None = None
    # A condition the effect waits for (ILO Art. 1(5): dues paid), and from which day a case
    # takes effect once the condition is recorded met: "period_end" or "day_met".
    effect_condition: str | None = None
    effect_when_met: str = "day_met"

    @property
    def kind(self) -> str:
        return self.clause.kind

    @property
    def notice_period(self) -> NoticePeriod | None:
        """The fixed period the clause counts from receipt, where it has one."""
        period = getattr(self.clause, "period", None)
        return period if isinstance(period, NoticePeriod) else None

    @property
    def later_date_allowed(self) -> bool:
        return self.clause.later_date_allowed

    @property
    def named_date_required(self) -> bool:
        return self.clause.named_date_required

    def __str__(self) -> str:
        text = f"{self.article}: {self.clause}"
        if self.later_date_allowed and not self.named_date_required:
            text += ", or a later date named in the notice"
        if self.effect_condition:
            text += f"; takes effect only if {self.effect_condition}"
        if self.earliest_notice_after_years:
            text += (
                f"; notice only {self.earliest_notice_after_years} years after the treaty "
                "entered into force for the State"
            )
        return text


def period_end(rule: ClockRule, received_on: date) -> EffectiveDate:
    """The date the clause gives for a notice received on `received_on`, before any date named
    in the notice (for a clause where the State names the date: the earliest it may name)."""
    return rule.clause.end(received_on, rule.article)


def effective_date(
    rule: ClockRule,
    received_on: date,
    named_on: date | None = None,
    conflict_ended_on: date | None = None,
) -> EffectiveDate:
    """When the withdrawal takes effect: the clause's date, a date named in the notice where the
    clause allows one, or the end of an armed conflict that was under way when the period ended
    (only where the treaty file sets armed_conflict_deferral)."""
    end = period_end(rule, received_on)
    if conflict_ended_on is not None and rule.armed_conflict_deferral:
        return EffectiveDate(
            conflict_ended_on,
            f"end of the armed conflict on {conflict_ended_on.isoformat()}; the notice period "
            f"ended during it ({end.basis})",
        )
    if rule.named_date_required:
        if named_on is None:
            raise InvalidInput(
                f"{rule.article}: the notice must name the date the withdrawal takes effect",
                field="evidence.effective_on_named",
            )
        return rule.clause.named(received_on, named_on, rule.article)
    if named_on is not None and rule.later_date_allowed and named_on > end.on:
        return rule.clause.named(received_on, named_on, rule.article)
    return end


def one_date_for_span(rule: ClockRule, span: DateSpan) -> EffectiveDate | None:
    """The date the clause gives for a receipt known only within `span`, when every day of it
    gives the same one (Istanbul Art. 80: any receipt in March 2021 gives 2021-07-01); else None.
    Every clause's date rises with the receipt's, so the two ends decide."""
    if rule.named_date_required:
        return None
    first, last = period_end(rule, span.earliest), period_end(rule, span.latest)
    if first.on != last.on:
        return None
    return EffectiveDate(
        first.on,
        f"receipt known only within {span}, every day of which gives {first.on.isoformat()} "
        f"({first.basis})",
    )


def check_named_date(rule: ClockRule, received_on: date, named_on: date) -> None:
    """Refuse a date named in the notice that the clause does not allow."""
    rule.clause.check_named(received_on, named_on, rule.article)


def first_notice_day(rule: ClockRule, in_force_since: date) -> date | None:
    """The first day a notice may be given, when the clause bars early notice (Paris Agreement
    Art. 28(1): three years after entry into force for the Party); None without a bar."""
    years = rule.earliest_notice_after_years
    return in_force_since + relativedelta(years=years) if years else None


def check_eligibility(rule: ClockRule, notice_on: date, in_force_since: date | None) -> None:
    """Refuse a notice given before the clause allows one, naming the first allowed day."""
    if not rule.earliest_notice_after_years:
        return
    if in_force_since is None:
        raise InvalidInput(
            f"evidence.in_force_since: {rule.article} allows notice only "
            f"{rule.earliest_notice_after_years} years after the treaty entered into force for "
            "the State: give that date (YYYY-MM-DD)",
            field="evidence.in_force_since",
        )
    first = first_notice_day(rule, in_force_since)
    assert first is not None
    if notice_on < first:
        raise NotAllowed(
            f"occurred_on: {rule.article} allows notice only {rule.earliest_notice_after_years} "
            f"years after the treaty entered into force for the State ({in_force_since.isoformat()}"
            f" + {rule.earliest_notice_after_years} years): the first allowed day is "
            f"{first.isoformat()}; got {notice_on.isoformat()}",
            field="occurred_on",
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
    """Parse a date (see parse_date) or EARLIEST..LATEST (a date known only within bounds)."""
    first, sep, last = text.strip().partition("..")
    earliest = parse_date(first, field)
    latest = parse_date(last, field) if sep else earliest
    if latest < earliest:
        raise InvalidInput(
            f"{field}: the range {text!r} ends before it starts; write EARLIEST..LATEST "
            "(e.g. 2025-04-23..2025-04-24)",
            field=field,
        )
    return DateSpan(earliest, latest)


MONTHS = {
    name: number
    for number, full in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"),
        start=1,
    )
    for name in (full, full[:3], full[:4])
}  # fmt: skip
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})")
DATE_EXAMPLE = "2025-05-01 (YYYY-MM-DD) or 1 May 2025"


def parse_date(text: str, field: str) -> date:
    """The one parser of a date a person or a program gives: ISO (2025-05-01) or day, month
    name and year (1 May 2025), never a numeric day and month that could be read both ways;
    refused naming the field and what is accepted."""
    given = text.strip()
    try:
        return date.fromisoformat(given)
    except ValueError:
        pass
    match = DAY_MONTH_YEAR.fullmatch(given)
    month = MONTHS.get(match.group(2).lower()) if match else None
    if match and month:
        try:
            return date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            pass
    raise InvalidInput(f"{field}: {text!r} is not a date; write it as {DATE_EXAMPLE}", field=field)


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
