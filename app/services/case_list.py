"""Every case, open or closed, found by what a person knows of it: a reference or a country's
name or code, filters, a sort, one page at a time; read from the cases' projections."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import Session

from app.domain.countries import check_country, countries_named
from app.domain.errors import InvalidInput
from app.persistence.models import Case
from app.services.context import Tracker
from app.services.paging import Page
from app.services.queries import case_summary
from app.services.spreadsheet import csv_chunks

STATUSES = ("open", "closed")
SORTS: dict[str, tuple[Any, ...]] = {
    "reference": (Case.reference,),
    "country": (Case.country, Case.reference),
    "began": (Case.began_on.is_(None), Case.began_on.desc(), Case.reference),
    "effective": (Case.effective_on.is_(None), Case.effective_on.desc(), Case.reference),
    "next": (Case.next_on.is_(None), Case.next_on, Case.reference),
}
CSV_COLUMNS = (
    "reference", "country", "country_name", "treaty", "treaty_name", "workflow", "kind",
    "state", "stage",
    "final", "practice", "began", "deposited", "deposited_until", "effective", "next_date",
)  # fmt: skip


@dataclass(frozen=True)
class CaseFilter:
    """What narrows the list; every value is checked, an unknown one refused naming what exists."""

    text: str | None = None
    kind: str | None = None
    treaty: str | None = None
    country: str | None = None
    stage: str | None = None
    status: str | None = None
    practice: bool | None = False  # practice cases only (True), none (False) or both (None)
    stage_param: str = "stage"  # what the caller calls the stage filter (the API: also state)

    def apply(self, tracker: Tracker, query: Select[Any]) -> Select[Any]:
        registry = tracker.registry
        if self.practice is not None:
            query = query.where(Case.practice.is_(self.practice))
        if self.text:
            query = query.where(_matching(self.text))
        if self.kind:
            kinds = sorted({w.kind for w in registry.workflows.values()})
            query = query.where(Case.kind == _one_of("kind", self.kind, kinds))
        if self.treaty:
            query = query.where(Case.treaty == registry.treaty(self.treaty).code)
        if self.country:
            query = query.where(Case.country == check_country(self.country))
        if self.stage:
            stage = _one_of(self.stage_param, self.stage, registry.stages())
            query = query.where(Case.state == stage)
        if self.status:
            closed = _one_of("status", self.status, STATUSES) == "closed"
            query = query.where(Case.final.is_(closed))
        return query


def _one_of(field: str, value: str, allowed: Iterable[str]) -> str:
    """`value` if it is allowed, else InvalidInput naming the field and what exists."""
    known = sorted(allowed)
    if value not in known:
        raise InvalidInput(f"{field}: {value!r} is not one of {', '.join(known)}", field=field)
    return value


def _matching(text: str) -> ColumnElement[bool]:
    """A reference containing the text, or a country whose code or name it is."""
    wanted = text.strip()
    codes = countries_named(wanted)
    if len(wanted) == 2:
        codes.append(wanted.upper())
    escaped = wanted.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(Case.reference.like(f"%{escaped}%", escape="\\"), Case.country.in_(codes))


CasePage = Page[dict[str, Any]]


def search_cases(
    tracker: Tracker, where: CaseFilter, page: int = 1, per_page: int = 50, sort: str = "reference"
) -> CasePage:
    """A page of the cases that match, in the order asked for."""
    query = where.apply(tracker, select(Case)).order_by(*_order(sort))
    with tracker.snapshot() as session:
        counted = where.apply(tracker, select(func.count()).select_from(Case))
        total = session.scalar(counted) or 0
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


def case_countries(tracker: Tracker) -> list[str]:
    """The countries that have cases, by code: one step of the (practice, country) index per
    country, not a read of every case (the filters' list of a page at 100,000 cases)."""
    with tracker.snapshot() as session:
        return list(session.scalars(_COUNTRIES))


def _next_country(after: Any) -> Any:
    real = Case.__table__.alias("real")
    return (
        select(func.min(real.c.country))
        .where(real.c.practice == false(), real.c.country > after)
        .scalar_subquery()
    )


def _countries() -> Select[Any]:
    """A loose index scan as a recursive query: the smallest country, then the smallest after
    it, until none is left."""
    first = select(func.min(Case.country).label("country")).where(Case.practice == false())
    found = first.cte("found", recursive=True)
    found = found.union_all(
        select(_next_country(found.c.country)).where(found.c.country.is_not(None))
    )
    return select(found.c.country).where(found.c.country.is_not(None)).order_by(found.c.country)


_COUNTRIES = _countries()
