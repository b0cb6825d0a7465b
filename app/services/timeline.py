"""What the timeline chart draws of a case: its stages from when to when, the depositary's
receipt and the effective date; read from a case view (its corrected steps), never the log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.domain.clock import DateSpan
from app.domain.countries import country_name
from app.domain.errors import InvalidInput
from app.persistence.models import Case
from app.services.context import Tracker
from app.services.queries import records_by_case
from app.services.views import CaseView, build_view

TAKE_EFFECT = "take_effect"  # the trigger every treaty keeps for taking effect (README)


@dataclass(frozen=True)
class StageSpan:
    """A stage the case stood at: entered within `start`, left within `end` (None: still
    there). A span whose start or end is a range was dated by the bounds the sources allow."""

    stage: str
    label: str
    phase: str  # "domestic" (the country's procedure) or "international" (the treaty's)
    start: DateSpan
    end: DateSpan | None


@dataclass(frozen=True)
class CaseRow:
    """One row of the chart: a case's stages and its two marks."""

    reference: str
    title: str  # what a person reads first: the country's name
    kind: str
    spans: tuple[StageSpan, ...]
    deposited_on: date | None
    effective_on: date | None
    effective_basis: str | None
    effective_recorded: bool  # the case took effect on it; else a computed date
    final_label: str | None  # the final stage reached, if any


def case_row(view: CaseView) -> CaseRow:
    """The chart's row of a case view: its live (corrected) steps, split into stages."""
    flow, state = view.workflow, view.state
    domestic = _domestic_stages(view)
    began = view.procedure_began()
    start = DateSpan.exact(began[0] if began else view.case.opened_on)
    spans: list[StageSpan] = []
    current = flow.initial
    for step in view.steps:
        if step.to_state == current:
            continue  # a step within a stage (a reading, a notice) draws no boundary
        spans.append(_span(view, current, domestic, start, step.span))
        current, start = step.to_state, step.span
    final = flow.is_final(current)
    if not final:
        spans.append(_span(view, current, domestic, start, None))
    effective = view.effective
    return CaseRow(
        reference=view.reference,
        title=country_name(view.case.country),
        kind=flow.kind,
        spans=tuple(spans),
        deposited_on=state.deposited_on,
        effective_on=effective.on if effective else None,
        effective_basis=effective.basis if effective else None,
        effective_recorded=any(s.trigger == TAKE_EFFECT for s in view.steps),
        final_label=flow.stages[current].label if final else None,
    )


def _domestic_stages(view: CaseView) -> set[str]:
    """The stages of the domestic procedure's file; the rest are the treaty's (or a claim's)."""
    part = view.workflow.definition.get("procedure") or {}
    return {s["id"] for s in part.get("data", {}).get("stages", [])}


def _span(
    view: CaseView, stage: str, domestic: set[str], start: DateSpan, end: DateSpan | None
) -> StageSpan:
    phase = "domestic" if stage in domestic else "international"
    return StageSpan(stage, view.workflow.stages[stage].label, phase, start, end)


MAX_ROWS = 100  # a chart reads each case's events: never more than a page of cases


def case_rows(tracker: Tracker, references: Sequence[str]) -> list[CaseRow]:
    """The chart's rows of these cases (a page of a list), in the order given, from their
    corrected steps: one query for their rows, one for their events."""
    if len(references) > MAX_ROWS:
        raise InvalidInput(
            f"cases: a chart draws at most {MAX_ROWS} cases, not {len(references)}", field="cases"
        )
    with tracker.snapshot() as session:
        rows = list(session.scalars(select(Case).where(Case.reference.in_(references))))
        records = records_by_case(session, rows)
        views = {r.reference: build_view(tracker, session, r, records[r.id]) for r in rows}
    return [case_row(views[ref]) for ref in references if ref in views]
