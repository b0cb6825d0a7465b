"""The treaty dates a calendar shows: deposits, effective dates and the clock's due steps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal

from dateutil.relativedelta import relativedelta
from sqlalchemy import Select, and_, false, or_, select

from app.domain.case import Step
from app.domain.clock import DateSpan
from app.domain.countries import country_name
from app.domain.guards import GUARD_CHECKS
from app.domain.projection import awaited_date
from app.persistence.models import Case
from app.services.context import Tracker
from app.services.views import AvailableStep, CaseView, projected_view

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
        query = _in_window(window).order_by(Case.reference).execution_options(yield_per=500)
        if not include_practice:
            query = query.where(Case.practice.is_(False))
        for row in session.scalars(query):
            view = projected_view(tracker, session, row)
            yield from _case_items(view, country_name(row.country), today, window)
            session.expunge(row)


def _in_window(window: Window) -> Select[Case]:
    """The cases with a date in the window: a deposit, an effective date, or an open case's
    next date (each column indexed)."""
    return select(Case).where(
        or_(
            Case.deposited_on.between(window.first, window.last),
            Case.effective_on.between(window.first, window.last),
            and_(Case.final == false(), Case.next_on.between(window.first, window.last)),
        )
    )


def _case_items(view: CaseView, country: str, today: date, window: Window) -> list[CalendarItem]:
    by_day: dict[date, list[_Entry]] = defaultdict(list)
    for day, entry in _entries(view, today):
        if day in window:
            by_day[day].append(entry)
    return [_item(view, country, day, entries) for day, entries in by_day.items()]


def _entries(view: CaseView, today: date) -> list[tuple[date, _Entry]]:
    found: list[tuple[date, _Entry]] = []
    flow, state = view.workflow, view.state
    words = _ACTION_WORDS.get(flow.kind, _ACTION_WORDS["withdrawal"])
    if state.deposited_on is not None and state.deposited_until is None:  # a known day only
        text = f"{words.received}. Depositary: {flow.treaty.depositary}."
        title = "instrument received by the depositary"
        found.append((state.deposited_on, _Entry("deposited", title, text)))
    if view.effective is not None and _may_take_effect(view):
        verb = words.took if flow.is_final(state.state) else words.takes
        text = f"{verb}: {view.effective.basis}."
        found.append((view.effective.on, _Entry("effective", words.title, text)))
    if not flow.is_final(state.state):
        period_end = state.period_end(flow.clock)
        basis = f" ({period_end.basis})" if period_end else ""
        due = _due_steps(view)
        for step in due:
            assert step.due_on is not None
            late = (today - step.due_on).days
            overdue = f" Overdue by {_days(late)}: not yet recorded." if late > 0 else ""
            t = step.transition
            text = f"Step due: {t.label} ({t.trigger}){basis}.{overdue}"
            found.append((step.due_on, _Entry("due", f"step due: {t.label}", text)))
        awaited = None if due else awaited_date(flow, state)
        if awaited is not None:  # a date a step set outside the clock (a parked law)
            text = f"Next date: {awaited.what} ({awaited.basis})."
            found.append((awaited.on, _Entry("due", f"next date, {awaited.what}", text)))
    return found


@dataclass(frozen=True)
class _ActionWords:
    """How the calendar says a kind of treaty action's receipt and effect."""

    received: str
    title: str
    takes: str
    took: str


_ACTION_WORDS = {
    "withdrawal": _ActionWords(
        "Instrument of withdrawal received; the notice period starts",
        "withdrawal takes effect",
        "Withdrawal takes effect",
        "Withdrawal took effect",
    ),
    "accession": _ActionWords(
        "Instrument of accession received; the period to entry into force starts",
        "entry into force for the State",
        "The treaty enters into force for the State",
        "The treaty entered into force for the State",
    ),
    "cessation": _ActionWords(
        "Decision on membership notified", "membership ends", "Membership ends", "Membership ended"
    ),
}


def _may_take_effect(view: CaseView) -> bool:
    """Open cases may still take effect; a closed one did only if its last stage is where a
    taking-effect step leads (a revoked withdrawal keeps its computed date, but never took
    effect)."""
    if not view.workflow.is_final(view.state.state):
        return True
    return any(
        t.dest == view.state.state
        and (_TAKES_EFFECT_GUARD in t.guards or bool(_TAKES_EFFECT_EFFECTS & set(t.effects)))
        for t in view.workflow.transitions
    )


def _due_steps(view: CaseView) -> list[AvailableStep]:
    """The clock's steps whose guards would let them happen on their day: take effect, or the
    deferral when an armed conflict is recorded, not both."""
    return [a for a in view.available if a.due_on is not None and _guards_pass(view, a)]


def _guards_pass(view: CaseView, available: AvailableStep) -> bool:
    assert available.due_on is not None
    t = available.transition
    step = Step(
        seq=0,
        trigger=t.trigger,
        from_state=view.state.state,
        to_state=t.dest,
        span=DateSpan.exact(available.due_on),
        actor="",
        recorded_at=datetime.combine(available.due_on, time(), UTC),
    )
    clock = view.workflow.clock
    return all(GUARD_CHECKS[g](view.state, step, clock) is None for g in t.guards)


def _item(view: CaseView, country: str, day: date, entries: list[_Entry]) -> CalendarItem:
    entries = sorted(entries, key=lambda e: KINDS.index(e.kind))
    stage = view.workflow.stages[view.state.state]
    practice = " Practice case." if view.case.practice else ""
    header = (
        f"{view.reference}: {country} and the {view.workflow.treaty.short_name}. "
        f"Stage: {stage.label}.{practice}"
    )
    return CalendarItem(
        reference=view.reference,
        country_name=country,
        day=day,
        kinds=tuple(e.kind for e in entries),
        summary=f"{view.reference}: {'; '.join(e.title for e in entries)} ({country})",
        description="\n".join([*(e.text for e in entries), "", header]),
        uid=f"{view.reference}-{day.isoformat()}@{UID_DOMAIN}",
    )


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"
