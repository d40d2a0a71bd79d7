"""A fast, read-only first look at the apps, for the dashboard's first paint.

Building the services imports SQLAlchemy, proxmoxer and asyncssh and connects to Proxmox: most
of a second. The apps table can be painted before that from one query through the standard
library's `sqlite3`, opened read-only (`mode=ro`: it can never write or migrate). The services
then load the full views and the table is diff-updated; until then actions stay disabled.

Anything unexpected (no file yet, a schema this query does not know, a locked database) returns
None and the dashboard simply waits for the services. It lives in the store (the dashboard
itself never touches SQL) and reads only the columns the apps table shows, without importing
SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from proximity_tui.views import AppView

QUERY = (
    "SELECT id, catalog_id, name, hostname, status, node, lxc_id, url "
    "FROM apps ORDER BY hostname"  # the order of the services' list_apps
)


def read_apps(db_path: Path | str | None) -> list[AppView] | None:
    if db_path is None or not Path(db_path).is_file():
        return None
    try:
        uri = Path(db_path).resolve().as_uri() + "?mode=ro"
        with sqlite3.connect(uri, uri=True, timeout=0.5) as conn:
            rows = conn.execute(QUERY).fetchall()
    except sqlite3.Error:
        return None
    return [
        AppView(
            id=row[0],
            catalog_id=row[1],
            name=row[2],
            hostname=row[3],
            status=row[4],
            node=row[5],
            vmid=int(row[6]),
            url=row[7],
            owner=None,
            created_at=None,
            updated_at=None,
        )
        for row in rows
    ]
