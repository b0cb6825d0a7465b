"""The kinds of withdrawal clause. Each computes, from the day of the notice (the depositary's
receipt, VCLT Art. 78), the day the withdrawal takes effect, with a sentence saying how.

Calendar-month arithmetic (python-dateutil's relativedelta): the day of the month is kept and
clipped to the month's end, so 31 Aug + 6 months is 28 Feb (29 Feb in a leap year).
Every rule here is quoted from the treaty text in the facts files; see each class.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import ClassVar, Protocol

from dateutil.relativedelta import relativedelta

from app.domain.errors import InvalidInput

NAMED_FIELD = "evidence.effective_on_named"


@dataclass(frozen=True)
class NoticePeriod:
    """A treaty's notice period in calendar months and/or days."""

    months: int = 0
    days: int = 0

    def after(self, start: date) -> date:
        """The day the period ends when it starts on `start`."""
        return _plus(start, self.months, self.days)

    def clips(self, start: date) -> bool:
        """Whether the months land on a shorter month, so the day is clipped to its end."""
        return bool(self.months) and _plus(start, self.months, 0).day != start.day

    def sentence(self, start: date) -> str:
        """`start + period`, with the end when a month end was clipped."""
        text = f"{start.isoformat()} + {self}"
        if self.clips(start):
            text += f" = {self.after(start).isoformat()} (day clipped to the month's end)"
        return text

    def __str__(self) -> str:
        parts = [_plural(self.months, "month"), _plural(self.days, "day")]
        return " + ".join(p for p in parts if p)


@lru_cache(maxsize=65536)  # lists and calendars ask the same sums for every case
def _plus(start: date, months: int, days: int) -> date:
    return start + relativedelta(months=months, days=days)


def _plural(n: int, unit: str) -> str:
    if not n:
        return ""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


@dataclass(frozen=True)
class EffectiveDate:
    """A computed date together with the sentence that explains how it was computed."""

    on: date
    basis: str


class Clause(Protocol):
    """What every clause kind offers the clock."""

    @property
    def kind(self) -> str: ...
    @property
    def later_date_allowed(self) -> bool: ...
    @property
    def named_date_required(self) -> bool: ...
    def end(self, notice_on: date, article: str) -> EffectiveDate: ...
    def named(self, notice_on: date, named_on: date, article: str) -> EffectiveDate: ...
    def check_named(self, notice_on: date, named_on: date, article: str) -> None: ...


class _NoNamedDate:
    """A clause under which the notice cannot name its own date."""

    later_date_allowed: ClassVar[bool] = False
    named_date_required: ClassVar[bool] = False

    def end(self, notice_on: date, article: str) -> EffectiveDate:
        raise NotImplementedError

    def named(self, notice_on: date, named_on: date, article: str) -> EffectiveDate:
        return self.end(notice_on, article)

    def check_named(self, notice_on: date, named_on: date, article: str) -> None:
        raise _no_named_date(self.end(notice_on, article), article)


def _no_named_date(end: EffectiveDate, article: str) -> InvalidInput:
    return InvalidInput(
        f"{article} does not allow the notice to name a later date; the withdrawal "
        f"takes effect on {end.on.isoformat()} ({end.basis})",
        field=NAMED_FIELD,
    )


@dataclass(frozen=True)
class PeriodAfterReceipt:
    """A period after the depositary's receipt, maybe a later date named in the notice
    (APMBC Art. 20(3): six months; Rome Statute Art. 127(1): one year, or a later date)."""

    kind: ClassVar[str] = "period_after_receipt"
    period: NoticePeriod
    later_date_allowed: bool = False
    named_date_required: ClassVar[bool] = False

    def end(self, notice_on: date, article: str) -> EffectiveDate:
        return EffectiveDate(
            self.period.after(notice_on), f"{self.period.sentence(notice_on)}, {article}"
        )

    def named(self, notice_on: date, named_on: date, article: str) -> EffectiveDate:
        return EffectiveDate(
            named_on,
            f"date named in the notice, later than {notice_on.isoformat()} + {self.period}, "
            f"{article}",
        )

    def check_named(self, notice_on: date, named_on: date, article: str) -> None:
        end = self.end(notice_on, article)
        if not self.later_date_allowed:
            raise _no_named_date(end, article)
        if named_on <= end.on:
            raise InvalidInput(
                f"a date named in the notice must be later than the end of the notice period, "
                f"{end.on.isoformat()} ({end.basis}); got {named_on.isoformat()}",
                field=NAMED_FIELD,
            )

    def __str__(self) -> str:
        return str(self.period)


@dataclass(frozen=True)
class EndOfYearAfterNotice(_NoNamedDate):
    """31 December of the calendar year after the year of the notice (UNESCO Constitution
    Art. II(6)): not a fixed-length period; any notice of 2025 ends on 2026-12-31."""

    kind: ClassVar[str] = "end_of_year_after_notice"

    def end(self, notice_on: date, article: str) -> EffectiveDate:
        on = date(notice_on.year + 1, 12, 31)
        return EffectiveDate(
            on,
            f"notice of {notice_on.isoformat()}, given in {notice_on.year}: 31 December of the "
            f"following year, {on.isoformat()}, {article}",
        )

    def __str__(self) -> str:
        return "31 December of the year after the year of the notice"


@dataclass(frozen=True)
class FirstOfMonthAfterPeriod(_NoNamedDate):
    """The first day of the month following the expiration of a period after receipt (Istanbul
    Convention Art. 80): the period expires on receipt + period (clipped), and the effect is
    the first of the next month, so every receipt in one month gives the same date."""

    kind: ClassVar[str] = "first_of_month_after_period"
    period: NoticePeriod

    def end(self, notice_on: date, article: str) -> EffectiveDate:
        expires = self.period.after(notice_on)
        on = expires.replace(day=1) + relativedelta(months=1)
        step = self.period.sentence(notice_on)
        if not self.period.clips(notice_on):
            step += f" = {expires.isoformat()}"
        return EffectiveDate(
            on,
            f"{step}, when the period expires; first day of the following month: {on.isoformat()}, "
            f"{article}",
        )

    def __str__(self) -> str:
        return f"the first day of the month after {self.period} from receipt"


@dataclass(frozen=True)
class EndOfFinancialYear(_NoNamedDate):
    """The end of the current financial year if notified in its first N months, else the end
    of the next one (Statute of the Council of Europe Art. 7). The year's start is a parameter."""

    kind: ClassVar[str] = "end_of_financial_year"
    starts_month: int
    starts_day: int
    first_months: int

    def year_start(self, on: date) -> date:
        """The first day of the financial year `on` falls in."""
        start = date(on.year, self.starts_month, self.starts_day)
        return start if start <= on else date(on.year - 1, self.starts_month, self.starts_day)

    def end(self, notice_on: date, article: str) -> EffectiveDate:
        start = self.year_start(notice_on)
        cutoff = start + relativedelta(months=self.first_months) - timedelta(days=1)
        within = notice_on <= cutoff
        on = start + relativedelta(years=1 if within else 2) - timedelta(days=1)
        where = "within" if within else "after"
        which = "that" if within else "the next"
        return EffectiveDate(
            on,
            f"notified {notice_on.isoformat()}, {where} the first {self.first_months} months "
            f"of the financial year from {start.isoformat()} (to {cutoff.isoformat()}): end of "
            f"{which} financial year, {on.isoformat()}, {article}",
        )

    def __str__(self) -> str:
        return (
            f"the end of the financial year if notified in its first {self.first_months} "
            "months, else the end of the next one"
        )


@dataclass(frozen=True)
class NamedDateMinNotice:
    """The State names the date, at least N days after the notice (CFE Art. XIX(2): 150 days)."""

    kind: ClassVar[str] = "named_date_min_notice"
    later_date_allowed: ClassVar[bool] = True
    named_date_required: ClassVar[bool] = True
    min_days: int

    def end(self, notice_on: date, article: str) -> EffectiveDate:
        """The earliest date the notice may name."""
        on = notice_on + timedelta(days=self.min_days)
        return EffectiveDate(
            on, f"{notice_on.isoformat()} + {_plural(self.min_days, 'day')}, {article}"
        )

    def named(self, notice_on: date, named_on: date, article: str) -> EffectiveDate:
        earliest = self.end(notice_on, article).on
        return EffectiveDate(
            named_on,
            f"date named in the notice, at least {_plural(self.min_days, 'day')} after the "
            f"notice of {notice_on.isoformat()} (earliest {earliest.isoformat()}), {article}",
        )

    def check_named(self, notice_on: date, named_on: date, article: str) -> None:
        earliest = self.end(notice_on, article)
        if named_on < earliest.on:
            raise InvalidInput(
                f"a date named in the notice must be at least {_plural(self.min_days, 'day')} "
                f"after the notice: the earliest allowed is {earliest.on.isoformat()} "
                f"({earliest.basis}); got {named_on.isoformat()}",
                field=NAMED_FIELD,
            )

    def __str__(self) -> str:
        return f"the date named in the notice, at least {_plural(self.min_days, 'day')} after it"


CLAUSE_KINDS: tuple[str, ...] = (
    PeriodAfterReceipt.kind,
    EndOfYearAfterNotice.kind,
    FirstOfMonthAfterPeriod.kind,
    EndOfFinancialYear.kind,
    NamedDateMinNotice.kind,
)
