"""The dashboard: cases by treaty and stage, dates coming up, recent activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from app.domain.audit import EventRecord
from app.persistence.models import CaseCount
from app.services.audit import EventFilter, browse_events
from app.services.context import Tracker
from app.services.queries import PendingCase, pending_page

UPCOMING_DAYS = 90
UPCOMING_SHOWN = 20  # the soonest; the pending page lists them all
UPCOMING_COUNTED = 1000  # "at least" so many more: counting 100,000 index entries is 8 ms
RECENT_SHOWN = 10


@dataclass(frozen=True)
class StageCount:
    treaty: str
    treaty_name: str
    state: str
    stage_label: str
    cases: int


@dataclass(frozen=True)
class Dashboard:
    counts: list[StageCount]
    upcoming: list[PendingCase]
    upcoming_total: int  # at most UPCOMING_COUNTED: see `upcoming_counted_all`
    recent: list[EventRecord]
    today: date

    @property
    def upcoming_counted_all(self) -> bool:
        return self.upcoming_total < UPCOMING_COUNTED


def dashboard(tracker: Tracker, practice: bool = False) -> Dashboard:
    """Counts per treaty and stage, the soonest of the clock's dates within 90 days (and how
    many there are), the latest events: of the real cases, or of the practice ones."""
    today = tracker.today()
    horizon = today + timedelta(days=UPCOMING_DAYS)
    cases = func.sum(CaseCount.cases)
    query = (
        select(CaseCount.treaty, CaseCount.state, cases)
        .where(CaseCount.practice.is_(practice))
        .group_by(CaseCount.treaty, CaseCount.state)
        .having(cases > 0)
        .order_by(CaseCount.treaty, CaseCount.state)
    )
    with tracker.snapshot() as session:
        rows = [(treaty, state, n) for treaty, state, n in session.execute(query)]
    registry = tracker.registry
    counts = [
        StageCount(
            treaty,
            registry.treaty(treaty).short_name,
            state,
            registry.stage_label(treaty, state),
            n,
        )
        for treaty, state, n in rows
    ]
    upcoming = pending_page(
        tracker, due_by=horizon, practice=practice, per_page=UPCOMING_SHOWN,
        count_up_to=UPCOMING_COUNTED,
    )  # fmt: skip
    # the latest events (of the same cases, practice or real) by what they did: their
    # documents are on the case pages
    same = EventFilter(practice=practice)
    recent = browse_events(tracker, same, per_page=RECENT_SHOWN, documents=False).items
    return Dashboard(counts, upcoming.items, upcoming.total, recent, today)
