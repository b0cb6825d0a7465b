"""the case row's projection: stage, kind, open or final, the clock's dates, the next date

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Back-fills every case by replaying its events with the definition it started with, as
`app.domain.projection.projection` computes it from then on with every event.
"""

from __future__ import annotations

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
    from app.persistence.reproject import reproject_cases

    reproject_cases(bind)
