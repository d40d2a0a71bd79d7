"""Users and apps: the original Proximity's tables (its `apps` schema, column for column).

The first release ships two revisions rather than one so that the upgrade path (copy the file to
`<db>.bak-<revision>`, then upgrade it with its data) is real and tested from the start.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'operator', 'viewer')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "apps",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("catalog_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=50), nullable=False),
        sa.Column("url", sa.String(length=512), nullable=True),
        sa.Column("lxc_id", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("ports", sa.JSON(), nullable=False),
        sa.Column("volumes", sa.JSON(), nullable=False),
        sa.Column("environment", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_apps_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apps")),
    )
    with op.batch_alter_table("apps") as batch:
        batch.create_index(batch.f("ix_apps_catalog_id"), ["catalog_id"], unique=False)
        batch.create_index(batch.f("ix_apps_hostname"), ["hostname"], unique=True)
        batch.create_index(batch.f("ix_apps_lxc_id"), ["lxc_id"], unique=True)
        batch.create_index(batch.f("ix_apps_node"), ["node"], unique=False)
        batch.create_index(batch.f("ix_apps_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("apps")
    op.drop_table("users")
