"""The dashboard: cases by treaty and stage, dates coming up, recent activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from app.domain.audit import EventRecord
from app.persistence.models import Case
from app.services.audit import EventFilter, search_events
from app.services.context import Tracker
from app.services.queries import PendingCase, pending

UPCOMING_DAYS = 90


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
    recent: list[EventRecord]
    today: date


def dashboard(tracker: Tracker, practice: bool = False) -> Dashboard:
    """Counts per treaty and stage, the clock's dates within 90 days, the latest events."""
    today = tracker.today()
    horizon = today + timedelta(days=UPCOMING_DAYS)
    query = (
        select(Case.treaty, Case.state, func.count())
        .where(Case.practice.is_(practice))
        .group_by(Case.treaty, Case.state)
        .order_by(Case.treaty, Case.state)
    )
    with tracker.snapshot() as session:
        rows = [(treaty, state, n) for treaty, state, n in session.execute(query)]
    labels = {id: stage.label for id, stage in tracker.registry.stages().items()}
    counts = [
        StageCount(
            treaty, tracker.registry.treaty(treaty).short_name, state, labels.get(state, state), n
        )
        for treaty, state, n in rows
    ]
    upcoming = [p for p in pending(tracker, due_by=horizon) if p.view.row.practice == practice]
    return Dashboard(counts, upcoming, search_events(tracker, EventFilter(), 1, 10).items, today)
