"""Read a treaty file's `clock:` (the clause kind and its parameters) and check that the
treaty's withdrawal part fits it; errors name the file, the key and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from app.domain.clauses import (
    CLAUSE_KINDS,
    Clause,
    EndOfFinancialYear,
    EndOfYearAfterNotice,
    FirstOfMonthAfterPeriod,
    NamedDateMinNotice,
    NoticePeriod,
    PeriodAfterReceipt,
)
from app.domain.clock import ClockRule
from app.domain.definitions import IN_FORCE_SINCE_KEY, NAMED_DATE_KEY, Transition
from app.domain.errors import DefinitionError

if TYPE_CHECKING:
    from app.domain.files import FileReader

PERIOD = "{months: M, days: D}, whole numbers, at least one > 0"
# What each kind takes besides the keys every kind takes (COMMON), in the words of an error.
PARAMETERS: dict[str, dict[str, str]] = {
    PeriodAfterReceipt.kind: {
        "notice_period": PERIOD,
        "later_date_allowed": "true or false, optional",
    },
    EndOfYearAfterNotice.kind: {},
    FirstOfMonthAfterPeriod.kind: {"notice_period": PERIOD},
    EndOfFinancialYear.kind: {
        "financial_year_starts": "the first day of the financial year as 'MM-DD', e.g. '01-01'",
        "notice_within_first_months": "a whole number of months, 1 to 11",
    },
    NamedDateMinNotice.kind: {"min_notice_days": "a whole number of days > 0"},
}
COMMON = {
    "article": "text, e.g. 'APMBC Art. 20(3)'",
    "kind": "one of " + ", ".join(CLAUSE_KINDS),
    "armed_conflict_deferral": "true or false, optional",
    "earliest_notice_after_years": "a whole number of years > 0, optional",
    "effect_condition": "text: a condition the effect waits for, optional (ILO Art. 1(5))",
    "effect_when_condition_met": "period_end or day_met, with effect_condition (default day_met)",
}
WHEN_MET = ("period_end", "day_met")
CONDITION_EFFECTS = {"dispute_effect", "condition_met"}
ARMED_CONFLICT_EFFECTS = {"record_armed_conflict", "end_armed_conflict"}
ARMED_CONFLICT_GUARDS = {"no_armed_conflict", "armed_conflict_recorded"}


def takes(kind: str) -> str:
    """What a clause kind takes, for an error message."""
    params = PARAMETERS[kind]
    if not params:
        return f"kind {kind} takes no parameters"
    return f"kind {kind} takes: " + "; ".join(f"{k} ({v})" for k, v in params.items())


def require_kind(r: FileReader) -> None:
    """A shipped treaty file says which kind its clause is (a copy a case kept from before
    clause kinds existed has none, and is read as period_after_receipt)."""
    clock = r.data.get("clock")
    if isinstance(clock, dict) and "kind" not in clock:
        raise r.error("clock.kind", f"missing; allowed: {', '.join(CLAUSE_KINDS)}")


def parse_clock(r: FileReader) -> ClockRule:
    """The clock rule of a treaty file's `clock:` mapping."""
    kind = r.get("kind", str, PeriodAfterReceipt.kind)
    if kind not in PARAMETERS:
        raise r.error("kind", f"unknown clause kind {kind!r}; allowed: {', '.join(CLAUSE_KINDS)}")
    for key in r.data:
        if key not in COMMON and key not in PARAMETERS[kind]:
            raise r.error(
                str(key),
                f"not a parameter of kind {kind}; {takes(kind)}; every kind takes: "
                + ", ".join(COMMON),
            )
    try:
        clause = BUILDERS[kind](r)
        years = _whole(r, "earliest_notice_after_years", COMMON, required=False)
    except DefinitionError as exc:
        raise DefinitionError(f"{exc.message}; {takes(kind)}") from None
    condition = r.get("effect_condition", str, None)
    when_met = r.get("effect_when_condition_met", str, "day_met")
    if when_met not in WHEN_MET or (condition is None and "effect_when_condition_met" in r.data):
        raise r.error(
            "effect_when_condition_met",
            f"expected {COMMON['effect_when_condition_met']}; allowed: {', '.join(WHEN_MET)}, "
            f"got {when_met!r}",
        )
    return ClockRule(
        article=r.get("article", str),
        clause=clause,
        armed_conflict_deferral=r.get("armed_conflict_deferral", bool, False),
        earliest_notice_after_years=years,
        effect_condition=condition,
        effect_when_met=when_met,
    )


def _whole(
    r: FileReader, key: str, specs: dict[str, str], required: bool = True, most: int | None = None
) -> int | None:
    value: int | None = r.get(key, int) if required else r.get(key, int, None)
    if value is not None and (value < 1 or (most is not None and value > most)):
        raise r.error(key, f"expected {specs[key]}, got {value!r}")
    return value


def _period(r: FileReader) -> NoticePeriod:
    period = r.child("notice_period", r.get("notice_period", dict))
    period.refuse_unknown({"months", "days"})
    notice = NoticePeriod(period.get("months", int, 0), period.get("days", int, 0))
    if notice.months < 0 or notice.days < 0 or (notice.months == 0 and notice.days == 0):
        raise period.error("", "a notice period needs months or days > 0 (and none < 0)")
    return notice


def _period_after_receipt(r: FileReader) -> Clause:
    return PeriodAfterReceipt(_period(r), r.get("later_date_allowed", bool, False))


def _financial_year(r: FileReader) -> Clause:
    specs = PARAMETERS[EndOfFinancialYear.kind]
    text = r.get("financial_year_starts", str)
    match = re.fullmatch(r"(\d{2})-(\d{2})", text)
    month, day = (int(match[1]), int(match[2])) if match else (0, 0)
    try:
        # checked in a year without 29 February: most years lack that day
        date(2001, month, day)
    except ValueError:
        raise r.error(
            "financial_year_starts", f"expected {specs['financial_year_starts']}, got {text!r}"
        ) from None
    months = _whole(r, "notice_within_first_months", specs, most=11)
    assert months is not None
    return EndOfFinancialYear(month, day, months)


def _named_date(r: FileReader) -> Clause:
    days = _whole(r, "min_notice_days", PARAMETERS[NamedDateMinNotice.kind])
    assert days is not None
    return NamedDateMinNotice(days)


BUILDERS: dict[str, Callable[[FileReader], Clause]] = {
    PeriodAfterReceipt.kind: _period_after_receipt,
    EndOfYearAfterNotice.kind: lambda r: EndOfYearAfterNotice(),
    FirstOfMonthAfterPeriod.kind: lambda r: FirstOfMonthAfterPeriod(_period(r)),
    EndOfFinancialYear.kind: _financial_year,
    NamedDateMinNotice.kind: _named_date,
}


def check_withdrawal_fits(
    r: FileReader, clock: ClockRule, transitions: tuple[Transition, ...]
) -> None:
    """The withdrawal part reads what the clause needs and nothing it forbids: a named date
    where one is allowed, the date of entry into force where notice is barred before N years,
    armed-conflict steps exactly where the file sets armed_conflict_deferral."""
    uses_conflict = False
    conditions: set[str] = set()
    for i, t in enumerate(transitions):
        where = f"withdrawal.transitions[{i}]"
        uses_conflict |= bool(ARMED_CONFLICT_EFFECTS & set(t.effects))
        uses_conflict |= bool(ARMED_CONFLICT_GUARDS & set(t.guards))
        conditions |= CONDITION_EFFECTS & set(t.effects)
        if "start_clock" in t.effects:
            _check_deposit_evidence(r, where, clock, t)
    _check_condition_steps(r, clock, conditions)
    if uses_conflict and not clock.armed_conflict_deferral:
        raise r.error(
            "clock.armed_conflict_deferral",
            "the withdrawal part has armed-conflict steps, but the clause does not defer for an "
            "armed conflict; set armed_conflict_deferral: true or remove those steps",
        )
    if clock.armed_conflict_deferral and not uses_conflict:
        raise r.error(
            "clock.armed_conflict_deferral",
            "true, but no step records an armed conflict (effects record_armed_conflict and "
            "end_armed_conflict)",
        )


def _check_deposit_evidence(r: FileReader, where: str, clock: ClockRule, t: Transition) -> None:
    named = t.evidence_field(NAMED_DATE_KEY)
    key = f"{where}.evidence.{NAMED_DATE_KEY}"
    if clock.later_date_allowed and (named is None or named.type != "date"):
        raise r.error(
            key,
            f"missing or not `type: date`: {clock.article} lets the notice name "
            "its date, and the deposit's evidence carries it",
        )
    if clock.named_date_required and named is not None and not named.required:
        raise r.error(
            key, f"needs `required: true`: under {clock.article} the notice names the date"
        )
    if not clock.later_date_allowed and named is not None:
        raise r.error(
            key, f"{clock.article} does not let the notice name a date; remove this field"
        )
    since = t.evidence_field(IN_FORCE_SINCE_KEY)
    if clock.earliest_notice_after_years and (
        since is None or since.type != "date" or not since.required
    ):
        raise r.error(
            f"{where}.evidence.{IN_FORCE_SINCE_KEY}",
            f"missing, or not `type: date, required: true`: {clock.article} allows notice only "
            f"{clock.earliest_notice_after_years} years after entry into force for the State",
        )


def _check_condition_steps(r: FileReader, clock: ClockRule, effects: set[str]) -> None:
    """Steps recording a dispute over the effect exist exactly where the clause has a condition."""
    if clock.effect_condition and effects != CONDITION_EFFECTS:
        raise r.error(
            "clock.effect_condition",
            "set, but the withdrawal part lacks a step with effects "
            + " and ".join(sorted(CONDITION_EFFECTS - effects)),
        )
    if not clock.effect_condition and effects:
        raise r.error(
            "clock.effect_condition",
            f"missing, but the withdrawal part has steps with effects {', '.join(sorted(effects))};"
            " set the condition the effect waits for, or remove those steps",
        )
