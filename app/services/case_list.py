"""Every case, open or closed, found by what a person knows of it: a reference or a country's
name or code, filters, a sort, one page at a time; read from the cases' projections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput
from app.persistence.models import Case
from app.services.case_filter import CaseFilter, count_cases
from app.services.context import Tracker
from app.services.paging import Page
from app.services.queries import case_summary
from app.services.spreadsheet import csv_chunks

# domain.case.procedure_began in SQL: the opener's day unless the first step is dated earlier
_BEGAN = case(
    (
        and_(
            Case.given_began_on.is_not(None),
            or_(Case.began_on.is_(None), Case.given_began_on < Case.began_on),
        ),
        Case.given_began_on,
    ),
    else_=Case.began_on,
)
SORTS: dict[str, tuple[Any, ...]] = {
    "reference": (Case.reference,),
    "country": (Case.country, Case.reference),
    "began": (_BEGAN.is_(None), _BEGAN.desc(), Case.reference),
    "effective": (Case.effective_on.is_(None), Case.effective_on.desc(), Case.reference),
    "next": (Case.next_on.is_(None), Case.next_on, Case.reference),
}
CSV_COLUMNS = (
    "reference", "country", "country_name", "treaty", "treaty_name", "workflow", "kind",
    "state", "stage",
    "final", "practice", "began", "deposited", "deposited_until", "effective", "next_date",
)  # fmt: skip


CasePage = Page[dict[str, Any]]


def search_cases(
    tracker: Tracker, where: CaseFilter, page: int = 1, per_page: int = 50, sort: str = "reference"
) -> CasePage:
    """A page of the cases that match, in the order asked for."""
    query = where.apply(tracker, select(Case)).order_by(*_order(sort))
    with tracker.snapshot() as session:
        total = count_cases(tracker, session, where)
        rows = session.scalars(query.offset((page - 1) * per_page).limit(per_page))
        items = [listed(tracker, session, row) for row in rows]
    return CasePage(items, total, page, per_page)


def every_case(
    tracker: Tracker, where: CaseFilter, sort: str = "reference"
) -> Iterator[dict[str, Any]]:
    """Every case that matches, streamed from one snapshot."""
    query = where.apply(tracker, select(Case)).order_by(*_order(sort))
    with tracker.snapshot() as session:
        rows = session.scalars(query.execution_options(yield_per=500))
        yield from (listed(tracker, session, row) for row in rows)


def cases_csv(tracker: Tracker, where: CaseFilter, sort: str = "reference") -> Iterator[str]:
    """Every case that matches, as CSV, streamed; cells a spreadsheet would run are made text."""
    listed = every_case(tracker, where, sort)
    yield from csv_chunks(CSV_COLUMNS, ({k: c[k] for k in CSV_COLUMNS} for c in listed))


def _order(sort: str) -> tuple[Any, ...]:
    if sort not in SORTS:
        raise InvalidInput(f"sort: {sort!r}: use {', '.join(SORTS)}", field="sort")
    return SORTS[sort]


def listed(tracker: Tracker, session: Session, row: Case) -> dict[str, Any]:
    """A case's summary as lists show it, with the stage's label in its own workflow."""
    flow = tracker.case_workflow(session, row.workflow, row.workflow_version)
    stage = flow.stages[row.state].label
    return {**case_summary(row), "treaty_name": flow.treaty.short_name, "stage": stage}
