"""case counts kept by the database (per treaty, kind, country, stage, open or final,
practice); indexes that give the lists their order and a calendar's poll its versions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

The lists' totals, the dashboard's and the treaty pages' counts and the filters' countries
read `case_counts` instead of scanning the cases' indexes (100,000 entries: 7-12 ms each).
Triggers on `cases` keep it, so every writer (an advance, the sweep's batch, an import, a
restore, a later migration's SQL) moves the counts in the same transaction; the counts are
filled from the case rows here. The two indexes that served those counts go (one on the
practice flag alone takes their other job, the log's practice filter); the pending list's
date order loses its practice term, which kept SQLite from reading a page of the (default)
real cases in index order, and the cases due by a date get theirs read in order too. The
calendar's window indexes (deposit, effective date, next date) carry each case's id, version
and practice flag on SQLite: a feed's poll reads them from the indexes instead of 3,500 case
rows for a week at 100,000 cases (7 ms -> 2 ms); an advance rewrites the three entries, within
the noise of its benchmark. Not on PostgreSQL: there an indexed column that every advance
changes makes each update of the row write every index of the table (no HOT update).

A later migration that rebuilds `cases` with SQLite's batch mode drops its triggers: it must
create them again (`create_triggers`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "case_counts"
COUNTED_BY = ("treaty", "kind", "country", "state", "final", "practice")
_KEY = ", ".join(COUNTED_BY)
POLLED = ("id", "version", "practice")
WINDOW = ("deposited_on", "effective_on")


def _changed(differs: str) -> str:
    return " OR ".join(f"OLD.{c} {differs} NEW.{c}" for c in COUNTED_BY)


def _matches(row: str) -> str:
    return " AND ".join(f"{c} = {row}.{c}" for c in COUNTED_BY)


def _add(row: str) -> str:
    values = ", ".join(f"{row}.{c}" for c in COUNTED_BY)
    return (
        f"INSERT INTO {TABLE} ({_KEY}, cases) VALUES ({values}, 1) "
        f"ON CONFLICT ({_KEY}) DO UPDATE SET cases = {TABLE}.cases + 1;"
    )


def _remove(row: str) -> str:
    return f"UPDATE {TABLE} SET cases = cases - 1 WHERE {_matches(row)};"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("treaty", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("practice", sa.Boolean(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*COUNTED_BY, name=op.f("pk_case_counts")),
    )
    op.execute(
        f"INSERT INTO {TABLE} ({_KEY}, cases) SELECT {_KEY}, count(*) FROM cases GROUP BY {_KEY}"
    )
    create_triggers()
    op.drop_index("ix_cases_practice_country", table_name="cases")
    op.drop_index("ix_cases_practice_treaty_state", table_name="cases")
    op.create_index("ix_cases_practice", "cases", ["practice"])  # the log's practice filter
    op.drop_index("ix_cases_pending_by_date", table_name="cases")
    op.create_index(
        "ix_cases_pending_by_date",
        "cases",
        ["final", sa.text("(next_on IS NULL)"), "next_on", "reference"],
    )
    # the cases due by a date (the dashboard's, the sweep's) in that order, from one index;
    # on SQLite, a calendar's poll reads its window's case versions from the date indexes
    # alone (on PostgreSQL an indexed `version` would make every advance's update non-HOT)
    sqlite = op.get_bind().dialect.name == "sqlite"
    due = ["final", "next_on", "reference", "practice", *(("id", "version") if sqlite else ())]
    op.drop_index("ix_cases_final_next_on_practice", table_name="cases")
    op.create_index("ix_cases_due_by_date", "cases", due)
    if sqlite:
        for column in WINDOW:
            op.drop_index(f"ix_cases_{column}", table_name="cases")
            op.create_index(f"ix_cases_{column}", "cases", [column, *POLLED])


def create_triggers() -> None:
    """The triggers that keep `case_counts` with the case rows."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE TRIGGER cases_counted AFTER INSERT ON cases BEGIN {_add('NEW')} END")
        op.execute(
            f"CREATE TRIGGER cases_recounted AFTER UPDATE OF {_KEY} ON cases "
            f"WHEN {_changed('IS NOT')} BEGIN {_remove('OLD')} {_add('NEW')} END"
        )
        op.execute(
            f"CREATE TRIGGER cases_uncounted AFTER DELETE ON cases BEGIN {_remove('OLD')} END"
        )
        return
    # PostgreSQL: a case moving between two groups locks their rows in one order (the smaller
    # key first), so that two cases moving the other way round cannot deadlock.
    old_first = f"ROW({', '.join(f'OLD.{c}' for c in COUNTED_BY)}) < " + (
        f"ROW({', '.join(f'NEW.{c}' for c in COUNTED_BY)})"
    )
    op.execute(
        "CREATE FUNCTION cases_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {_add('NEW')} "
        f"ELSIF TG_OP = 'DELETE' THEN {_remove('OLD')} "
        f"ELSIF {old_first} THEN {_remove('OLD')} {_add('NEW')} "
        f"ELSE {_add('NEW')} {_remove('OLD')} END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER cases_counted AFTER INSERT OR DELETE ON cases "
        "FOR EACH ROW EXECUTE FUNCTION cases_count()"
    )
    op.execute(
        f"CREATE TRIGGER cases_recounted AFTER UPDATE OF {_KEY} ON cases "
        f"FOR EACH ROW WHEN ({_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION cases_count()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for column in WINDOW:
            op.drop_index(f"ix_cases_{column}", table_name="cases")
            op.create_index(f"ix_cases_{column}", "cases", [column])
    op.drop_index("ix_cases_due_by_date", table_name="cases")
    op.create_index("ix_cases_final_next_on_practice", "cases", ["final", "next_on", "practice"])
    op.drop_index("ix_cases_pending_by_date", table_name="cases")
    op.create_index(
        "ix_cases_pending_by_date",
        "cases",
        ["final", sa.text("(next_on IS NULL)"), "next_on", "practice", "reference"],
    )
    op.drop_index("ix_cases_practice", table_name="cases")
    op.create_index("ix_cases_practice_treaty_state", "cases", ["practice", "treaty", "state"])
    op.create_index("ix_cases_practice_country", "cases", ["practice", "country"])
    if op.get_bind().dialect.name == "sqlite":
        for name in ("cases_counted", "cases_recounted", "cases_uncounted"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER cases_recounted ON cases")
        op.execute("DROP TRIGGER cases_counted ON cases")
        op.execute("DROP FUNCTION cases_count()")
    op.drop_table(TABLE)
