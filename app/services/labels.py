"""The words a person reads for the ids an event stores: each step and stage by its label in
the workflow its case started with. The ids stay the data (addresses, CSV id columns, JSON);
these are for reading beside them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.audit import EventRecord
from app.domain.definitions import Workflow
from app.domain.history import CORRECT, OPEN, UNDO
from app.domain.loader import Registry
from app.persistence.models import Case
from app.services.context import Tracker

# The events the service records itself, which no workflow file names.
RECORDED_BY_THE_TRACKER = {
    OPEN: "Case record opened",
    CORRECT: "Correction of an event",
    UNDO: "Undo of the last step",
}


@dataclass(frozen=True)
class EventWords:
    """An event's step and stages in words."""

    step: str
    from_stage: str
    to_stage: str

    def to_json(self) -> dict[str, str]:
        """The words as the API, the CLI and the audit export show them."""
        return {"step": self.step, "from_stage": self.from_stage, "to_stage": self.to_stage}


def event_words(flow: Workflow | None, record: EventRecord) -> EventWords:
    """The labels of `record`'s step and stages in its case's workflow (the id itself where
    the workflow does not know it, so that nothing is hidden)."""
    stages = flow.stages if flow else {}
    step = RECORDED_BY_THE_TRACKER.get(record.trigger)
    if step is None:
        transition = flow.find_transition(record.trigger) if flow else None
        step = transition.label if transition else record.trigger

    def stage(state: str) -> str:
        return stages[state].label if state in stages else state

    return EventWords(step, stage(record.from_state), stage(record.to_state))


def labelled(record: EventRecord, words: EventWords) -> dict[str, Any]:
    """An event as the API and the CLI show it: its ids and, beside them, its words."""
    shown = record.to_json()
    shown["labels"] = words.to_json()
    return shown


class CaseLabels:
    """The words of the events of many cases (each case by its workflow), each distinct step
    and pair of stages of a workflow worked out once: an export of a million events holds a
    few hundred."""

    def __init__(self, flows: Mapping[str, Workflow]) -> None:
        self._flows = flows
        self._known: dict[tuple[object, ...], EventWords] = {}

    def words(self, record: EventRecord) -> EventWords:
        """`event_words` of `record` in its case's workflow."""
        flow = self._flows.get(record.case_reference)
        version = (flow.name, flow.version) if flow else None
        key = (version, record.trigger, record.from_state, record.to_state)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = event_words(flow, record)
        return found


def workflows_of(
    tracker: Tracker, session: Session, references: Iterable[str] | None = None
) -> dict[str, Workflow]:
    """The workflow each named case (or every case) started with, in one query."""
    query = select(Case.reference, Case.workflow, Case.workflow_version)
    if references is not None:
        wanted = set(references)
        if not wanted:
            return {}
        query = query.where(Case.reference.in_(wanted))
    rows = session.execute(query)
    return {ref: tracker.case_workflow(session, name, version) for ref, name, version in rows}


def words_of_events(
    tracker: Tracker, records: Iterable[EventRecord]
) -> dict[tuple[str, int], EventWords]:
    """The words of each event of a page (of the log, of the dashboard), by (case, seq)."""
    records = list(records)
    with tracker.snapshot() as session:
        flows = workflows_of(tracker, session, (r.case_reference for r in records))
    return {(r.case_reference, r.seq): event_words(flows.get(r.case_reference), r) for r in records}


def step_choices(registry: Registry) -> list[tuple[str, str]]:
    """Every step id with its most common label across the workflows, by label: the choices
    of a filter that keeps the id in the address."""
    labels: Mapping[str, str] = {**registry.step_labels, **RECORDED_BY_THE_TRACKER}
    return sorted(labels.items(), key=lambda item: (item[1].lower(), item[0]))
