import json
import sqlite3

import pytest


def _entry(n: int = 1, **over):
    """An apps.json entry as the original Proximity wrote it."""
    entry = {
        "id": f"nginx-web{n}",
        "catalog_id": "nginx",
        "name": "Nginx",
        "hostname": f"web{n}",
        "status": "running",
        "url": f"http://192.168.100.{n % 250}:80",
        "lxc_id": 100 + n,
        "node": "opti2",
        "created_at": "2025-10-04 00:33:41.918809",
        "updated_at": "2025-10-04 00:33:41.918810",
        "config": {},
        "ports": {"80": 80},
        "volumes": [],
        "environment": {"TZ": "UTC"},
    }
    entry.update(over)
    return {k: v for k, v in entry.items() if v is not DROP}


DROP = object()


@pytest.fixture
def entry():
    """`entry(n, **overrides)`; an override set to `entry.DROP` removes the key."""
    _entry.DROP = DROP
    return _entry


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "proximity.db"


@pytest.fixture
def write_apps(tmp_path):
    def write(entries, name="apps.json", wrap=True):
        path = tmp_path / name
        path.write_text(json.dumps({"apps": entries} if wrap else entries))
        return path

    return write


@pytest.fixture
def rows():
    """All apps in a database file, read with plain sqlite3 as an inspector would."""

    def read(path):
        conn = sqlite3.connect(path)
        conn.row_factory = sqlite3.Row
        try:
            return {r["id"]: dict(r) for r in conn.execute("SELECT * FROM apps ORDER BY id")}
        finally:
            conn.close()

    return read


@pytest.fixture
def reference_apps(reference):
    return reference("proximity-v1/apps.json")
