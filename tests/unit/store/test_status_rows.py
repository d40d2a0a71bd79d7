"""The status tick re-reads the apps table only when it changed (`services/status_rows.AppRows`):
every kind of change, by this process's sessions or by another process, is seen."""

from __future__ import annotations

import sqlite3

from proximity_tui.services.status_rows import AppRows
from proximity_tui.store import repositories as repo


def _read(db, rows: AppRows) -> list[tuple]:
    with db.session(readonly=True) as s:
        return [tuple(r[:3]) + (r[4],) for r in rows.read(s)]


def test_rows_follow_every_change(db, app_fields):
    rows = AppRows()
    with db.session() as s:
        repo.add_app(s, **app_fields(1))
    first = _read(db, rows)
    assert first == [("nginx-web1", 101, "running", "pve1")]
    cached = rows._rows  # unchanged: the same cached list comes back
    with db.session(readonly=True) as s:
        assert rows.read(s) is cached

    with db.session() as s:
        repo.set_app_status(s, "nginx-web1", "stopped")
    assert _read(db, rows) == [("nginx-web1", 101, "stopped", "pve1")]
    with db.session() as s:
        repo.add_app(s, **app_fields(2))
    assert len(_read(db, rows)) == 2
    # Another process (a plain sqlite3 connection) moving an app to another node, no timestamp.
    with sqlite3.connect(db.path) as conn:
        conn.execute("UPDATE apps SET node = 'pve2' WHERE id = 'nginx-web2'")
    assert ("nginx-web2", 102, "running", "pve2") in _read(db, rows)
    with db.session() as s:
        repo.delete_app(s, "nginx-web1")
    assert [r[0] for r in _read(db, rows)] == ["nginx-web2"]
