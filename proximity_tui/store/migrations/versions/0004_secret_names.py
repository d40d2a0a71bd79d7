"""Mark the secret-looking environment variables of every stored app as secret.

Apps migrated from the original Proximity before this revision had `DB_PASSWORD` and the like
unmarked, so the Settings tab showed them to every role. Data only: `config["secret_names"]` gains
each environment name the product's one rule (`proximity_tui.secret_names`) calls secret.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from proximity_tui.secret_names import with_secret_names

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    changed = []
    for app_id, config_text, env_text in conn.execute(
        sa.text("SELECT id, config, environment FROM apps")
    ):
        config = _mapping(config_text)
        environment = _mapping(env_text)
        marked = with_secret_names(config, environment)
        if marked is not config:
            changed.append({"id": app_id, "config": json.dumps(marked)})
    if changed:
        conn.execute(sa.text("UPDATE apps SET config = :config WHERE id = :id"), changed)


def downgrade() -> None:
    """Nothing to undo: an older version ignores the names it did not mark itself."""


def _mapping(text: str | None) -> dict[str, object]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
