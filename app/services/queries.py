"""Read-only use cases: one case (now or on a past date), lists, and the pending steps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.domain.audit import EventRecord
from app.domain.errors import InvalidInput
from app.domain.projection import next_date
from app.persistence.models import Case, Event
from app.services.case_filter import CaseFilter, count_cases, one_of
from app.services.context import Tracker
from app.services.event_log import log_query, log_rows, page_records
from app.services.paging import Page
from app.services.recording import to_record
from app.services.views import CaseRecord, CaseView, build_view, load_case, projected_view


def get_case(tracker: Tracker, reference: str, as_of: date | None = None) -> CaseView:
    """The case rebuilt from its events, as it stands or as it stood on `as_of`."""
    _check_past(tracker, as_of)
    with tracker.snapshot() as session:
        row = load_case(session, reference)
        events = log_rows(session, log_query().where(Event.case_id == row.id).order_by(Event.seq))
        records = list(page_records(session, events))
        return build_view(tracker, session, row, records, as_of)


def _check_past(tracker: Tracker, as_of: date | None) -> None:
    today = tracker.today()
    if as_of is not None and as_of > today:
        raise InvalidInput(
            f"as_of: {as_of.isoformat()} lies after today ({today.isoformat()}); the tracker "
            "rebuilds the past, it does not forecast",
            field="as_of",
        )


def case_summary(row: Case) -> dict[str, Any]:
    """A case as lists show it, from its row's projection."""
    return CaseRecord.of(row).summary()


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True)
class PendingCase:
    """An open case with its next steps and the next date its treaty clock sets."""

    view: CaseView
    next_on: date | None
    next_what: str
    next_basis: str

    def to_json(self, today: date) -> dict[str, Any]:
        stage = self.view.workflow.stages[self.view.state.state]
        return {
            **self.view.case.summary(),
            "treaty_name": self.view.workflow.treaty.short_name,
            "state": stage.id,
            "stage": {"label": stage.label, "responsible": stage.responsible},
            "next_date": None
            if self.next_on is None
            else {
                "on": self.next_on.isoformat(),
                "what": self.next_what,
                "basis": self.next_basis,
                "days_from_today": (self.next_on - today).days,
            },
            "steps": [
                {k: v for k, v in a.to_json().items() if k != "evidence"}
                for a in self.view.available
            ],
        }


SORTS = {"date": "next date, soonest first", "reference": "reference"}


PendingPage = Page[PendingCase]


def pending(
    tracker: Tracker,
    as_of: date | None = None,
    treaty: str | None = None,
    country: str | None = None,
    stage: str | None = None,
    due_by: date | None = None,
    practice: bool | None = None,
) -> list[PendingCase]:
    """Every open case with the steps it may take next, soonest date first; `as_of` rebuilds
    the situation on a past date from the events. Filters narrow it by treaty, country, stage,
    `due_by` to the cases whose next date comes by then, and `practice` as pending_page's."""
    page = pending_page(
        tracker, as_of, treaty, country, stage, due_by=due_by, per_page=None, practice=practice
    )
    return page.items


def pending_page(
    tracker: Tracker,
    as_of: date | None = None,
    treaty: str | None = None,
    country: str | None = None,
    stage: str | None = None,
    due_by: date | None = None,
    page: int = 1,
    per_page: int | None = 50,
    sort: str = "date",
    practice: bool | None = None,
    count_up_to: int | None = None,
) -> PendingPage:
    """A page of `pending` (all of it when `per_page` is None), sorted by date or reference,
    of the practice cases or the others only when `practice` says so; its total counts at
    most `count_up_to` cases when that is given. Today's list reads the cases' projections
    and their kept counts: a page costs the same at 100 or 100,000 cases."""
    _check_past(tracker, as_of)
    if sort not in SORTS:
        raise InvalidInput(f"sort: {sort!r} is not one of {', '.join(SORTS)}", field="sort")
    where = CaseFilter(treaty=treaty, country=country, practice=practice)
    if as_of is not None:
        if stage:  # the stage on `as_of`, from the replay
            one_of("stage", stage, tracker.registry.stages())
        query = where.apply(tracker, select(Case)).order_by(Case.reference)
        found = _pending_as_of(tracker, query, as_of, stage, sort)
        start = (page - 1) * (per_page or 0)
        items = found[start : start + per_page] if per_page else found
        return PendingPage(items, len(found), page, per_page or max(1, len(found)))
    where = replace(where, stage=stage, status="open")
    query = where.apply(tracker, select(Case))
    if due_by is not None:
        query = query.where(Case.next_on <= due_by)
    order = (Case.reference,) if sort == "reference" else _by_date(due_by, practice)
    with tracker.snapshot() as session:
        if due_by is None and count_up_to is None:
            total = count_cases(tracker, session, where)
        else:
            counted = query.with_only_columns(Case.id).limit(count_up_to).subquery()
            total = session.scalar(select(func.count()).select_from(counted)) or 0
        rows = query.order_by(*order)
        if per_page is not None:
            rows = rows.offset((page - 1) * per_page).limit(per_page)
        items = [_pending(projected_view(tracker, session, row)) for row in session.scalars(rows)]
    return PendingPage(items, total, page, per_page or max(1, total))


def _by_date(due_by: date | None, practice: bool | None) -> tuple[Any, ...]:
    """The soonest date first, the undated last, the real cases before the practice ones on
    a day when both are listed; read in the order of an index: ix_cases_pending_by_date
    (without a practice term: one kind listed), ix_cases_due_by_date (due by a
    date: every row has one, so no undated-last term)."""
    undated_last = () if due_by is not None else (Case.next_on.is_(None),)
    real_first = (Case.practice,) if practice is None else ()
    return (*undated_last, Case.next_on, *real_first, Case.reference)


def _pending_as_of(
    tracker: Tracker, query: Select[Case], as_of: date, stage: str | None, sort: str
) -> list[PendingCase]:
    """The open cases as they stood on `as_of`, each rebuilt from its events."""
    with tracker.snapshot() as session:
        rows = list(session.scalars(query))
        records = records_by_case(session, rows)
        items = []
        for row in rows:
            view = build_view(tracker, session, row, records[row.id], as_of)
            if not _existed(view, as_of) or view.workflow.is_final(view.state.state):
                continue
            if stage is None or view.state.state == stage:
                items.append(_pending(view))
    if sort == "reference":
        return sorted(items, key=lambda p: p.view.reference)
    return sorted(
        items, key=lambda p: (p.next_on or date.max, p.view.case.practice, p.view.reference)
    )


def _existed(view: CaseView, as_of: date) -> bool:
    """Whether the case was under way on `as_of`: its procedure had begun, or its record was
    open by then."""
    began = view.procedure_began()
    return view.case.opened_on <= as_of or (began is not None and began[0] <= as_of)


def _pending(view: CaseView) -> PendingCase:
    upcoming = next_date(view.workflow, view.state)
    if upcoming is None:
        return PendingCase(view, None, "", "")
    return PendingCase(view, upcoming.on, upcoming.what, upcoming.basis)


def records_by_case(session: Session, rows: list[Case]) -> dict[int, list[EventRecord]]:
    """The events of these cases in one query, by case id (a page of cases, not all of them)."""
    references = {row.id: row.reference for row in rows}
    grouped: dict[int, list[EventRecord]] = defaultdict(list)
    query = select(Event).where(Event.case_id.in_(references)).order_by(Event.case_id, Event.seq)
    for event in session.scalars(query):
        grouped[event.case_id].append(to_record(references[event.case_id], event))
    return grouped
