"""What narrows a list of cases, and how many cases it leaves: counted from the counts the
database keeps per treaty, kind, country, stage, openness and practice flag (`CaseCount`),
not from a scan of the case rows, unless a reference is searched for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from app.domain.countries import check_country, countries_named
from app.domain.errors import InvalidInput
from app.persistence.models import Case, CaseCount
from app.services.context import Tracker

STATUSES = ("open", "closed")


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

    def apply(
        self, tracker: Tracker, query: Select[Any], on: type[Case] | type[CaseCount] = Case
    ) -> Select[Any]:
        """`query` narrowed on the case rows, or (`on` CaseCount, no text) on their counts."""
        registry = tracker.registry
        if self.practice is not None:
            query = query.where(on.practice.is_(self.practice))
        if self.text:
            query = query.where(_matching(self.text))
        if self.kind:
            kinds = sorted({w.kind for w in registry.workflows.values()})
            query = query.where(on.kind == one_of("kind", self.kind, kinds))
        if self.treaty:
            query = query.where(on.treaty == registry.treaty(self.treaty).code)
        if self.country:
            query = query.where(on.country == check_country(self.country))
        if self.stage:
            stage = one_of(self.stage_param, self.stage, registry.stages())
            query = query.where(on.state == stage)
        if self.status:
            closed = one_of("status", self.status, STATUSES) == "closed"
            query = query.where(on.final == closed)  # `= false`: PostgreSQL's indexes serve
            # it, not `IS false` (the pending list reads its order from one)
        return query


def count_cases(tracker: Tracker, session: Session, where: CaseFilter) -> int:
    """How many cases `where` leaves: a sum of the kept counts, or (a reference searched for)
    a count of the case rows."""
    if where.text:
        return session.scalar(where.apply(tracker, select(func.count()).select_from(Case))) or 0
    total = select(func.coalesce(func.sum(CaseCount.cases), 0))
    return session.scalar(where.apply(tracker, total, on=CaseCount)) or 0


def case_countries(tracker: Tracker) -> list[str]:
    """The countries that have real cases, by code."""
    query = (
        select(CaseCount.country)
        .where(CaseCount.practice.is_(False), CaseCount.cases > 0)
        .distinct()
        .order_by(CaseCount.country)
    )
    with tracker.snapshot() as session:
        return list(session.scalars(query))


def one_of(field: str, value: str, allowed: Iterable[str]) -> str:
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
