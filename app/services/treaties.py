"""The treaties the tracker follows and how many cases each has, from the cases' projections."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.persistence.models import CaseCount
from app.services.context import Tracker


@dataclass(frozen=True)
class CaseCounts:
    """A treaty's cases (practice cases aside): all of them, and those still open."""

    total: int = 0
    open: int = 0


def case_counts(tracker: Tracker) -> dict[str, CaseCounts]:
    """Cases per treaty code, from the kept counts."""
    query = (
        select(
            CaseCount.treaty,
            func.sum(CaseCount.cases),
            func.coalesce(func.sum(CaseCount.cases).filter(CaseCount.final.is_(False)), 0),
        )
        .where(CaseCount.practice.is_(False))
        .group_by(CaseCount.treaty)
    )
    with tracker.snapshot() as session:
        return {code: CaseCounts(total, open_) for code, total, open_ in session.execute(query)}
