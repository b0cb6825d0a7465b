"""the case row's projection: stage, kind, open or final, the clock's dates, the next date

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Back-fills every case by replaying its events with the definition it started with, as
`app.domain.projection.projection` computes it from then on with every event.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("kind", sa.String(length=32), nullable=False, server_default="withdrawal"),
        sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("event_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("began_on", sa.Date(), nullable=True),
        sa.Column("period_ends_on", sa.Date(), nullable=True),
        sa.Column("effective_basis", sa.Text(), nullable=True),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("next_what", sa.Text(), nullable=True),
        sa.Column("next_trigger", sa.String(length=64), nullable=True),
        sa.Column("clock_state", sa.JSON(), nullable=False, server_default="{}"),
    ]


# Plain ALTER TABLE ADD/DROP COLUMN (SQLite 3.35+ has both): a batch "move and copy" of the
# cases table would trip over the events' foreign keys once cases exist.
def upgrade() -> None:
    for column in _columns():
        op.add_column("cases", column)
    op.create_index("ix_cases_final_next_on", "cases", ["final", "next_on"], unique=False)
    _back_fill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_cases_final_next_on", table_name="cases")
    for column in reversed(_columns()):
        op.drop_column("cases", column.name)


def _back_fill(bind: sa.engine.Connection) -> None:
    from app.domain.audit import EventRecord
    from app.domain.history import fold, steps_from_events
    from app.domain.loader import workflow_from_definition
    from app.domain.projection import projection

    if bind.execute(sa.text("SELECT count(*) FROM cases")).scalar_one() == 0:
        return  # a new database: nothing to replay (and no tables to reflect)
    meta = sa.MetaData()
    cases = sa.Table("cases", meta, autoload_with=bind)
    events = sa.Table("events", meta, autoload_with=bind)
    stored = sa.Table("workflow_definitions", meta, autoload_with=bind)
    flows = {
        (row.name, row.version): workflow_from_definition(row.definition)
        for row in bind.execute(sa.select(stored.c.name, stored.c.version, stored.c.definition))
    }
    by_case: dict[int, list[Any]] = defaultdict(list)
    for e in bind.execute(sa.select(events).order_by(events.c.case_id, events.c.seq)):
        # The replay reads the step's fields only; actor and case names are not needed.
        record = EventRecord(
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
        by_case[e.case_id].append(record)
    for case in bind.execute(sa.select(cases.c.id, cases.c.workflow, cases.c.workflow_version)):
        flow = flows[(case.workflow, case.workflow_version)]
        records = by_case[case.id]
        values = projection(flow, fold(flow, steps_from_events(records)))
        values["event_count"] = len(records)
        bind.execute(sa.update(cases).where(cases.c.id == case.id).values(**values))
