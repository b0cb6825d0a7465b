"""The treaty dates a calendar shows: deposits, effective dates and the clock's due steps."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from dateutil.relativedelta import relativedelta
from sqlalchemy import Date, Select, and_, bindparam, false, or_, select

from app.domain.action_words import action_words
from app.domain.case import CaseState, Step
from app.domain.clock import DateSpan
from app.domain.countries import country_name
from app.domain.definitions import Transition, Workflow
from app.domain.guards import GUARD_CHECKS
from app.domain.history import due_transitions
from app.domain.projection import awaited_date, state_from_json
from app.persistence.models import Case
from app.services.context import Tracker

Kind = Literal["deposited", "effective", "due"]
KINDS: tuple[Kind, ...] = ("deposited", "effective", "due")
UID_DOMAIN = "withdrawal-tracker"
# Guards and effects that mark a step as the withdrawal taking effect: a case that ended by
# one of them took effect; one that ended otherwise (revoked) never did.
_TAKES_EFFECT_GUARD = "effective_date_reached"
# steps that make a case take effect without the clock's guard: an armed conflict ends, a
# condition is met, membership ceases by decision
_TAKES_EFFECT_EFFECTS = {"end_armed_conflict", "condition_met", "cease_membership"}


@dataclass(frozen=True)
class CalendarItem:
    """One day of one case: what happens (or is due) then, worded for a calendar entry.

    `kinds` lists everything that falls on the day, in the order deposited, effective, due;
    `kind` is the first of them."""

    reference: str
    country_name: str
    day: date
    kinds: tuple[Kind, ...]
    summary: str
    description: str
    uid: str
    revised_at: datetime  # when the case last changed (UTC): the entry's DTSTAMP

    @property
    def kind(self) -> Kind:
        return self.kinds[0]


@dataclass(frozen=True)
class _Entry:
    kind: Kind
    title: str  # for the summary
    text: str  # a sentence of the description


@dataclass(frozen=True)
class Window:
    """The days a feed shows, both included."""

    first: date
    last: date

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last


def default_window(today: date) -> Window:
    """A year back and three years ahead: the recent past and every date to come that a clock
    of the treaties followed can reach (the longest notice period is a year)."""
    return Window(today - relativedelta(years=1), today + relativedelta(years=3))


def calendar_items(
    tracker: Tracker, window: Window, include_practice: bool = False
) -> Iterator[CalendarItem]:
    """The cases' deposit and effective dates and, for open cases, the clock's due steps
    (overdue ones too) that fall in `window`; one item per case and day, case by case, read
    from the projections a batch at a time (no history is replayed, nothing is held). Practice
    cases only on request."""
    today = tracker.today()
    with tracker.snapshot() as session:
        # Cases that stand alike (same workflow, same projection) have the same days: the
        # clock, the guards and the wording are worked out once for each (issue 8).
        days: dict[tuple[object, ...], _CaseDays] = {}
        for row in session.connection().execute(_ITEMS, _bounds(window)):
            # Practice cases (a few) are left out here, not in SQL: a condition on the flag
            # led SQLite to scan every case by its (practice, country) index instead of the
            # three date indexes (130 ms against 9 for a week at 100,000 cases).
            if row.practice and not include_practice:
                continue
            key = (row.workflow, row.workflow_version, *row.clock_state.items())
            if key not in days:
                flow = tracker.case_workflow(session, row.workflow, row.workflow_version)
                days[key] = _case_days(flow, state_from_json(row.clock_state), today, window)
            yield from days[key].items(
                row.reference, country_name(row.country), row.practice, row.updated_at
            )


def calendar_version(tracker: Tracker, window: Window, include_practice: bool = False) -> str:
    """A digest of everything `calendar_items` depends on: today, the window, the filter and
    the version of each case in the window (a case's version moves with each of its events,
    whichever order concurrent writes commit in). Equal digests, equal items."""
    digest = hashlib.sha256(
        f"{tracker.today()} {window.first} {window.last} {include_practice}".encode()
    )
    with tracker.snapshot() as session:
        rows = session.connection().execute(_VERSIONS, _bounds(window)).all()  # one fetch
    # (the practice flag filtered here: in the query, it led SQLite to read every case by
    # the practice index instead of the window's three date indexes)
    digest.update(
        b"".join(
            [b"%d:%d;" % (i, v) for i, v, practice in rows if include_practice or not practice]
        )
    )
    return digest.hexdigest()


def _bounds(window: Window) -> dict[str, date]:
    return {"first": window.first, "last": window.last}


def _in_window(*columns: Any) -> Select[Any]:
    """The cases with a date in the window (bound as `first` and `last`): a deposit, an
    effective date, or an open case's next date (each column indexed)."""
    first, last = bindparam("first", type_=Date), bindparam("last", type_=Date)
    return select(*columns).where(
        or_(
            Case.deposited_on.between(first, last),
            Case.effective_on.between(first, last),
            and_(Case.final == false(), Case.next_on.between(first, last)),
        )
    )


# Built once: the feed's rows, and the versions a repeated poll reads to see nothing changed.
_ITEMS = _in_window(
    Case.reference, Case.country, Case.workflow, Case.workflow_version, Case.practice,
    Case.clock_state, Case.updated_at,
).order_by(Case.reference).execution_options(yield_per=500)  # fmt: skip
_VERSIONS = _in_window(Case.id, Case.version, Case.practice).order_by(Case.id)


@dataclass(frozen=True)
class _Day:
    """What falls on one day of a case, in the order of KINDS, whichever case it is."""

    day: date
    entries: tuple[_Entry, ...]


@dataclass(frozen=True)
class _CaseDays:
    """A case's days in the window, and how its entries name the treaty and the stage."""

    days: tuple[_Day, ...]
    treaty: str
    stage: str

    def items(
        self, reference: str, country: str, practice: bool, revised_at: datetime
    ) -> Iterator[CalendarItem]:
        """The days as the calendar items of this case."""
        header = (
            f"{reference}: {country} and the {self.treaty}. Stage: {self.stage}."
            f"{' Practice case.' if practice else ''}"
        )
        for d in self.days:
            titles = "; ".join(e.title for e in d.entries)
            yield CalendarItem(
                reference=reference,
                country_name=country,
                day=d.day,
                kinds=tuple(e.kind for e in d.entries),
                summary=f"{reference}: {titles} ({country})",
                description="\n".join([*(e.text for e in d.entries), "", header]),
                uid=f"{reference}-{d.day.isoformat()}@{UID_DOMAIN}",
                revised_at=revised_at,
            )


def _case_days(flow: Workflow, state: CaseState, today: date, window: Window) -> _CaseDays:
    by_day: dict[date, list[_Entry]] = defaultdict(list)
    for day, entry in _entries(flow, state, today):
        if day in window:
            by_day[day].append(entry)
    days = (
        _Day(day, tuple(sorted(entries, key=lambda e: KINDS.index(e.kind))))
        for day, entries in by_day.items()
    )
    return _CaseDays(tuple(days), flow.treaty.short_name, flow.stages[state.state].label)


def _entries(flow: Workflow, state: CaseState, today: date) -> list[tuple[date, _Entry]]:
    found: list[tuple[date, _Entry]] = []
    words = action_words(flow.kind)
    if state.deposited_on is not None and state.deposited_until is None:  # a known day only
        text = f"{words.received}. Depositary: {flow.treaty.depositary}."
        title = "instrument received by the depositary"
        found.append((state.deposited_on, _Entry("deposited", title, text)))
    effective = state.effective(flow.clock)
    if effective is not None and _may_take_effect(flow, state):
        verb = words.took if flow.is_final(state.state) else words.takes
        text = f"{verb}: {effective.basis}."
        found.append((effective.on, _Entry("effective", words.title, text)))
    if not flow.is_final(state.state):
        period_end = state.period_end(flow.clock)
        basis = f" ({period_end.basis})" if period_end else ""
        due = _due_steps(flow, state)
        for t, due_on in due:
            late = (today - due_on).days
            overdue = f" Overdue by {_days(late)}: not yet recorded." if late > 0 else ""
            text = f"Step due: {t.label} ({t.trigger}){basis}.{overdue}"
            found.append((due_on, _Entry("due", f"step due: {t.label}", text)))
        awaited = None if due else awaited_date(flow, state)
        if awaited is not None:  # a date a step set outside the clock (a parked law)
            text = f"Next date: {awaited.what} ({awaited.basis})."
            found.append((awaited.on, _Entry("due", f"next date, {awaited.what}", text)))
    return found


def _may_take_effect(flow: Workflow, state: CaseState) -> bool:
    """Open cases may still take effect; a closed one did only if its last stage is where a
    taking-effect step leads (a revoked withdrawal keeps its computed date, but never took
    effect)."""
    if not flow.is_final(state.state):
        return True
    return any(
        t.dest == state.state
        and (_TAKES_EFFECT_GUARD in t.guards or bool(_TAKES_EFFECT_EFFECTS & set(t.effects)))
        for t in flow.transitions
    )


def _due_steps(flow: Workflow, state: CaseState) -> list[tuple[Transition, date]]:
    """The clock's steps whose guards would let them happen on their day: take effect, or the
    deferral when an armed conflict is recorded, not both."""
    return [
        (t, due.on)
        for t, due in due_transitions(flow, state)
        if _guards_pass(flow, state, t, due.on)
    ]


def _guards_pass(flow: Workflow, state: CaseState, t: Transition, due_on: date) -> bool:
    step = Step(
        seq=0,
        trigger=t.trigger,
        from_state=state.state,
        to_state=t.dest,
        span=DateSpan.exact(due_on),
        actor="",
        recorded_at=datetime.combine(due_on, time(), UTC),
    )
    return all(GUARD_CHECKS[g](state, step, flow.clock) is None for g in t.guards)


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"
