"""Static addresses reserved for apps (`[deploy] network = "static"`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "addresses",
        # The address without its prefix: the primary key is what makes two deploys (in any
        # process sharing this database) unable to take the same one.
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_addresses_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_addresses")),
    )
    with op.batch_alter_table("addresses") as batch:
        batch.create_index(batch.f("ix_addresses_app_id"), ["app_id"], unique=False)


def downgrade() -> None:
    op.drop_table("addresses")
