"""who changed a group's members, when, and why (append-only)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Each existing group gets its making as its first change: its members as they are, by the
user who made it, at the time it was made.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "case_group_changes"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["case_groups.id"],
            name=op.f("fk_case_group_changes_group_id_case_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"], name=op.f("fk_case_group_changes_changed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_group_changes")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_group_changes_group_id"), ["group_id"])
    _record_each_groups_making(op.get_bind())


def _record_each_groups_making(conn: sa.Connection) -> None:
    members = conn.execute(
        sa.text(
            "SELECT group_id, cases.reference FROM case_group_members JOIN cases "
            "ON cases.id = case_group_members.case_id ORDER BY cases.reference"
        )
    ).all()
    insert = sa.text(
        f"INSERT INTO {TABLE} (group_id, changed_by_id, changed_at, added, removed, reason) "
        "SELECT id, created_by_id, created_at, :added, :removed, '' FROM case_groups "
        "WHERE id = :group_id"
    ).bindparams(sa.bindparam("added", type_=sa.JSON), sa.bindparam("removed", type_=sa.JSON))
    for group_id in conn.scalars(sa.text("SELECT id FROM case_groups")).all():
        added = [reference for g, reference in members if g == group_id]
        conn.execute(insert, {"group_id": group_id, "added": added, "removed": []})


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_group_changes_group_id"))
    op.drop_table(TABLE)
