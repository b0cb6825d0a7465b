"""groups of cases that act together (a joint deposit, a joint announcement)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_case_groups_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_case_groups_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_case_groups_slug")),
    )
    op.create_table(
        "case_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_group_members_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["case_groups.id"],
            name=op.f("fk_case_group_members_group_id_case_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_group_members")),
        sa.UniqueConstraint(
            "group_id", "case_id", name=op.f("uq_case_group_members_group_id_case_id")
        ),
    )
    with op.batch_alter_table("case_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_group_members_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_group_members_group_id"), ["group_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_group_members_group_id"))
        batch_op.drop_index(batch_op.f("ix_case_group_members_case_id"))
    op.drop_table("case_group_members")
    op.drop_table("case_groups")
