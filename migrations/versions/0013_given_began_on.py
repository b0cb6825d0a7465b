"""the day the opener gave for the procedure's start, on the case row

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

A case opened with a `began_on` and no step yet showed no "Began" day in the lists (only its page
read the opening event). The row now holds the given day beside the projection's first-step
day; the lists show the step's day, else the given one. Filled here from each case's opening
event; `audit verify` checks it against the opening.

ADD and DROP COLUMN run as plain ALTER TABLE on SQLite (3.35 and later), not batch mode,
which would rebuild `cases` without the case counts' triggers (0012).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("given_began_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    openings = bind.execute(
        sa.text("SELECT case_id, evidence FROM events WHERE seq = 1 AND \"trigger\" = 'open'")
    )
    given = [
        {"id": case_id, "day": date.fromisoformat(day)}
        for case_id, evidence in openings
        if (day := _evidence(evidence).get("began_on"))
    ]
    if given:
        update = sa.text("UPDATE cases SET given_began_on = :day WHERE id = :id")
        bind.execute(update.bindparams(sa.bindparam("day", type_=sa.Date)), given)


def _evidence(stored: Any) -> dict[str, Any]:
    """The stored JSON as data (SQLite gives its text, psycopg the decoded value)."""
    return dict(json.loads(stored) if isinstance(stored, str) else stored or {})


def downgrade() -> None:
    op.drop_column("cases", "given_began_on")
