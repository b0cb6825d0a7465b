"""cases.in_force_since: the day the treaty entered into force for the State

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Where a clause bars early notice (Paris Agreement Art. 28(1), UNFCCC Art. 25(1)) the case
records the day the treaty entered into force for the State; the deposit reads it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN, as 0004: a batch copy of `cases` would trip the events' foreign key
    op.add_column("cases", sa.Column("in_force_since", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("cases", "in_force_since")
