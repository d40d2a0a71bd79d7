"""Store migration 0004 (issue 15, point 4): an older database's apps get their secret-looking
environment names marked secret on upgrade, so the Settings tab masks them for every role."""

import json
import sqlite3

from sqlalchemy import create_engine

from proximity_tui.services.app_records import MASK, to_view
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import HEAD_REVISION, Database
from tests.unit.store.test_store_db import alembic_config


def _at_0003(path, apps):
    from alembic import command

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
    engine.dispose()
    raw = sqlite3.connect(path)
    for n, (config, environment) in enumerate(apps, 1):
        raw.execute(
            "INSERT INTO apps (id, catalog_id, name, hostname, status, lxc_id, node, created_at,"
            " updated_at, config, ports, volumes, environment) VALUES (?, 'a', 'A', ?,"
            " 'running', ?, 'pve1', '2025-10-04 00:33:41', '2025-10-04 00:33:41', ?, '{}', '[]',"
            " ?)",
            (f"a-web{n}", f"web{n}", 100 + n, json.dumps(config), json.dumps(environment)),
        )
    raw.commit()
    raw.close()


def _configs(path):
    raw = sqlite3.connect(path)
    try:
        return {i: json.loads(c) for i, c in raw.execute("SELECT id, config FROM apps")}
    finally:
        raw.close()


def test_upgrade_marks_existing_unmarked_secrets(tmp_path):
    path = tmp_path / "old.db"
    _at_0003(
        path,
        [
            ({"cores": 2}, {"DB_PASSWORD": "hunter2-secret", "TZ": "UTC"}),  # migrated unmarked
            ({"secret_names": ["ADMIN_TOKEN"]}, {"ADMIN_TOKEN": "t0ken-value", "API_KEY": "k"}),
            ({}, {"TZ": "UTC"}),  # nothing secret: left exactly as it was
        ],
    )
    with Database.open(path) as db:
        assert db.revision() == HEAD_REVISION
        with db.session(readonly=True) as s:
            view = to_view(repo.get_app(s, "a-web1"))
    assert _configs(path) == {
        "a-web1": {"cores": 2, "secret_names": ["DB_PASSWORD"]},
        "a-web2": {"secret_names": ["ADMIN_TOKEN", "API_KEY"]},
        "a-web3": {},
    }
    assert view.environment == {"DB_PASSWORD": MASK, "TZ": "UTC"}
    assert view.secret_names == ("DB_PASSWORD",)
