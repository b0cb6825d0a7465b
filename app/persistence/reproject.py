"""Rewrite every case row's projection from its events, with the definition the case started
with: after a migration that changes what the projection holds (0004, 0009), and after a
restore of a backup made by an older version. The events are the truth; the row follows them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from app.domain.audit import EventRecord
from app.domain.history import fold, steps_from_events
from app.domain.loader import workflow_from_definition
from app.domain.projection import projection


def reproject_cases(bind: sa.engine.Connection) -> int:
    """Replay every case's events into its row's projection columns; returns the rows changed."""
    if bind.execute(sa.text("SELECT count(*) FROM cases")).scalar_one() == 0:
        return 0  # a new database: nothing to replay
    meta = sa.MetaData()
    cases = sa.Table("cases", meta, autoload_with=bind)
    events = sa.Table("events", meta, autoload_with=bind)
    stored = sa.Table("workflow_definitions", meta, autoload_with=bind)
    flows = {
        (row.name, row.version): workflow_from_definition(row.definition)
        for row in bind.execute(sa.select(stored.c.name, stored.c.version, stored.c.definition))
    }
    by_case: dict[int, list[EventRecord]] = defaultdict(list)
    for e in bind.execute(sa.select(events).order_by(events.c.case_id, events.c.seq)):
        # The replay reads the step's fields only; actor and case names are not needed.
        by_case[e.case_id].append(
            EventRecord(
                case_reference="",
                seq=e.seq,
                trigger=e.trigger,
                from_state=e.from_state,
                to_state=e.to_state,
                occurred_on=e.occurred_on,
                occurred_until=e.occurred_until,
                recorded_at=e.recorded_at,
                actor="",
                comment=e.comment,
                evidence=e.evidence or {},
            )
        )
    changed = 0
    for case in bind.execute(sa.select(cases)):
        flow = flows[(case.workflow, case.workflow_version)]
        records = by_case[case.id]
        values: dict[str, Any] = projection(flow, fold(flow, steps_from_events(records)))
        values["event_count"] = len(records)
        if any(getattr(case, column) != value for column, value in values.items()):
            bind.execute(sa.update(cases).where(cases.c.id == case.id).values(**values))
            changed += 1
    return changed
