"""indexes for the lists that read the projection at 100,000 cases: the pending list in its
order, the dashboard's counts, the filters' countries, the calendar's window of days

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXED = ("deposited_on", "effective_on")


def upgrade() -> None:
    # the dated open cases with practice beside: counted from the index alone, with or
    # without the practice filter (0004's index lacked it: 100k table reads for the dashboard)
    op.drop_index("ix_cases_final_next_on", table_name="cases")
    op.create_index("ix_cases_final_next_on_practice", "cases", ["final", "next_on", "practice"])
    for column in INDEXED:
        op.create_index(op.f(f"ix_cases_{column}"), "cases", [column])
    # the pending list's order (the soonest date first, the undated last): read in index order
    op.create_index(
        "ix_cases_pending_by_date",
        "cases",
        ["final", sa.text("(next_on IS NULL)"), "next_on", "practice", "reference"],
    )
    # the dashboard's and the treaty pages' counts, from the index alone
    op.create_index("ix_cases_practice_treaty_state", "cases", ["practice", "treaty", "state"])
    # the countries offered by the lists' filters, from the index alone
    op.create_index("ix_cases_practice_country", "cases", ["practice", "country"])


def downgrade() -> None:
    op.drop_index("ix_cases_practice_country", table_name="cases")
    op.drop_index("ix_cases_practice_treaty_state", table_name="cases")
    op.drop_index("ix_cases_pending_by_date", table_name="cases")
    for column in INDEXED:
        op.drop_index(op.f(f"ix_cases_{column}"), table_name="cases")
    op.drop_index("ix_cases_final_next_on_practice", table_name="cases")
    op.create_index("ix_cases_final_next_on", "cases", ["final", "next_on"])
