"""The case row's projection: what lists, pending steps, calendars and the sweep read instead of
replaying events. One function computes it from a case's state; it is written in the same
transaction as each event, and `audit verify` checks it against the replay of the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from app.domain.audit import EventRecord
from app.domain.case import CaseState
from app.domain.definitions import Workflow
from app.domain.history import due_transitions, fold, given_began_on, steps_from_events

DEFERRED = "notice period ends; an armed conflict is recorded, so the effect is deferred"


@dataclass(frozen=True)
class NextDate:
    """The next date the treaty clock sets for an open case: when, what, why, which step."""

    on: date
    what: str
    basis: str
    trigger: str


def next_date(flow: Workflow, state: CaseState) -> NextDate | None:
    """The case's next date: the clock's, if a step waits for it (take effect, or defer), else
    a date a step set (a returned law parked in committee until then), with what it awaits."""
    due = due_transitions(flow, state)
    period_end = state.period_end(flow.clock)
    if not due or period_end is None:
        return awaited_date(flow, state)
    transition, when = due[0]
    effective = state.effective(flow.clock)
    if effective is None:
        return NextDate(when.on, DEFERRED, period_end.basis, transition.trigger)
    return NextDate(when.on, "takes effect", effective.basis, transition.trigger)


def awaited_date(flow: Workflow, state: CaseState) -> NextDate | None:
    """The next date a step set outside the treaty clock (evidence `next_date`: Latvia's Saeima
    sent the returned Istanbul Convention law to a committee, proposals due 2026-11-01), with
    the step it awaits; None for a final stage or when no step set one."""
    on = state.next_step_on
    waiting = flow.available(state.state)
    if on is None or flow.is_final(state.state) or not waiting:
        return None
    stage = flow.stages[state.state]
    return NextDate(
        on,
        f"awaits: {waiting[0].label}",
        f"next date {on.isoformat()} set when the case reached '{stage.label}'",
        waiting[0].trigger,
    )


def projection(flow: Workflow, state: CaseState) -> dict[str, Any]:
    """The case row's columns that follow from its state, by column name."""
    effective = state.effective(flow.clock)
    period_end = state.period_end(flow.clock)
    upcoming = next_date(flow, state)
    return {
        "state": state.state,
        "kind": flow.kind,
        "final": flow.is_final(state.state),
        "deposited_on": state.deposited_on,
        "effective_on": effective.on if effective else None,
        "effective_basis": effective.basis if effective else None,
        "period_ends_on": period_end.on if period_end else None,
        "began_on": state.began_on,
        "next_on": upcoming.on if upcoming else None,
        "next_what": upcoming.what if upcoming else None,
        "next_trigger": upcoming.trigger if upcoming else None,
        "clock_state": state_json(state),
    }


def replayed(flow: Workflow, events: Sequence[EventRecord]) -> dict[str, Any]:
    """The case row's columns that follow from its events: the projection of their replay,
    how many there are, and the start its opener gave."""
    return {
        **projection(flow, fold(flow, steps_from_events(events))),
        "event_count": len(events),
        "given_began_on": given_began_on(events),
    }


def state_json(state: CaseState) -> dict[str, str | None]:
    """The state as JSON data: its stage and every date the clock needs, ISO-formatted."""
    values = ((f.name, getattr(state, f.name)) for f in fields(state))  # flat: no deep copy
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values}


def state_from_json(data: dict[str, Any]) -> CaseState:
    """The state `state_json` wrote."""
    values: dict[str, Any] = {}
    for f in fields(CaseState):
        value = data.get(f.name)
        if "date" in str(f.type) and isinstance(value, str):
            value = date.fromisoformat(value)
        values[f.name] = value
    return CaseState(**values)
