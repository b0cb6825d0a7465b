"""Rewrite every case row's projection from its events, with the definition the case started
with: after a migration that changes what the projection holds (0004, 0010), and after a
restore of a backup made by an older version. The events are the truth; the row follows them."""

from __future__ import annotations

import warnings
from collections import defaultdict

import sqlalchemy as sa

from app.domain.audit import EventRecord
from app.domain.loader import workflow_from_definition
from app.domain.projection import replayed

BATCH = 1_000  # cases read, replayed and written at a time: memory stays flat at any size


def reproject_cases(bind: sa.engine.Connection) -> int:
    """Replay every case's events into its row's projection columns; returns the rows changed."""
    if bind.execute(sa.text("SELECT count(*) FROM cases")).scalar_one() == 0:
        return 0  # a new database: nothing to replay
    cases, events, stored = _tables(bind)
    flows = {
        (row.name, row.version): workflow_from_definition(row.definition)
        for row in bind.execute(sa.select(stored.c.name, stored.c.version, stored.c.definition))
    }
    changed, after = 0, 0
    while True:
        batch = list(
            bind.execute(
                sa.select(cases).where(cases.c.id > after).order_by(cases.c.id).limit(BATCH)
            )
        )
        if not batch:
            return changed
        after = batch[-1].id
        by_case = _records(bind, events, batch[0].id, after)
        for case in batch:
            flow = flows[(case.workflow, case.workflow_version)]
            records = by_case[case.id]
            values = replayed(flow, records)
            if "given_began_on" not in cases.c:  # a migration before 0013 runs this
                del values["given_began_on"]
            if any(getattr(case, column) != value for column, value in values.items()):
                bind.execute(sa.update(cases).where(cases.c.id == case.id).values(**values))
                changed += 1


def _tables(bind: sa.engine.Connection) -> tuple[sa.Table, sa.Table, sa.Table]:
    """The three tables as the database has them (the columns are all that is read)."""
    meta = sa.MetaData()
    with warnings.catch_warnings():  # SQLite's index on an expression: not needed here
        warnings.filterwarnings("ignore", ".*expression-based index")
        return tuple(  # type: ignore[return-value]
            sa.Table(name, meta, autoload_with=bind)
            for name in ("cases", "events", "workflow_definitions")
        )


def _records(
    bind: sa.engine.Connection, events: sa.Table, first: int, last: int
) -> dict[int, list[EventRecord]]:
    """The events of the cases with ids from `first` to `last`, by case, in order."""
    by_case: dict[int, list[EventRecord]] = defaultdict(list)
    query = (
        sa.select(events)
        .where(events.c.case_id.between(first, last))
        .order_by(events.c.case_id, events.c.seq)
    )
    for e in bind.execute(query):
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
    return by_case
