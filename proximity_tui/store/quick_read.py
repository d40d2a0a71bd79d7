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
from dataclasses import MISSING, fields
from pathlib import Path

from proximity_tui.views import AppView

#: The view's fields the query reads, in its order (`vmid` is the `lxc_id` column).
FIELDS = ("id", "catalog_id", "name", "hostname", "status", "node", "vmid", "url")
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
    return [_view(row) for row in rows]


#: What the fields this read leaves out hold (the services' full views fill them): their
#: defaults, None for those without one (owner, created_at, updated_at); `_FACTORIES` gives a
#: fresh value per view for those with a `default_factory`, as the dataclass's `__init__` does.
_DEFAULTS = {
    f.name: None if f.default is MISSING else f.default
    for f in fields(AppView)
    if f.name not in FIELDS and f.default_factory is MISSING
}
_FACTORIES = [
    (f.name, f.default_factory)
    for f in fields(AppView)
    if f.name not in FIELDS and f.default_factory is not MISSING
]


def _view(row: tuple) -> AppView:
    """`AppView(**columns)` without running the frozen dataclass's `__init__` (one
    `object.__setattr__` per field, 21 fields, 1,000 times at start): its `__dict__` is built from
    the row and the defaults."""
    d = dict(zip(FIELDS, row, strict=True))
    d["vmid"] = int(d["vmid"])
    d.update(_DEFAULTS)
    for name, factory in _FACTORIES:
        d[name] = factory()
    view = object.__new__(AppView)
    object.__setattr__(view, "__dict__", d)
    return view
