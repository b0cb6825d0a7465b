"""the projection's new inputs: a step's next date outside the clock (a parked law) and a
withdrawal that follows another treaty's (Paris Art. 28(3))

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

No schema change: every case row's projection is rewritten from its events, so that the
next date of a parked law (evidence next_date) reaches the pending list, and the row's
clock_state holds the new fields (`audit verify` compares it with the replay).
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from app.persistence.reproject import reproject_cases

    reproject_cases(op.get_bind())


def downgrade() -> None:
    # The older projection simply ignores the new fields; nothing to undo.
    pass
