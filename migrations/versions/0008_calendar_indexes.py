"""indexes on the deposit and effective dates: the calendar feed reads a window of days

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXED = ("deposited_on", "effective_on")


def upgrade() -> None:
    for column in INDEXED:
        op.create_index(op.f(f"ix_cases_{column}"), "cases", [column])


def downgrade() -> None:
    for column in INDEXED:
        op.drop_index(op.f(f"ix_cases_{column}"), table_name="cases")
