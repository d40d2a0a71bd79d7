"""The status tick's per-row work, kept small (issue 19: under 10 ms of CPU beside the API call
at 1,000 containers, under 50 ms at 5,000).

- `AppRows` re-reads the light `apps` query only when the database changed, told by two
  counters of the pooled SQLite connection the read uses: `PRAGMA data_version` moves when any
  *other* connection (this process's or another one's: a CLI deploy beside the dashboard)
  committed, `total_changes` when this one wrote. Kept per connection: both unchanged since the
  last read on that connection means nothing was committed since, so the rows are still current.
  (Was a query folding the five columns of every row into one string: a scan of every row.)
- `live_status` builds the frozen `LiveStatus` from a copy of the guest's `__dict__`, without
  running its dataclass `__init__` (a frozen dataclass sets each of its 15 fields through
  `object.__setattr__`), and `same_live` compares two by their `__dict__` (one C-level dict
  comparison instead of two 15-tuples).
- `settle_gc` runs after each tick; after the first full one, what start-up made (the app views, the
  history rings, imported modules) is frozen out of the collector's sight (`gc.freeze`); after
  every tick the young-generation threshold is raised to fit a tick's allocations (20 per app, at
  least 20,000): a steady tick's objects die by reference counting before any collection sees
  them. At 5,000 containers about half of a tick's CPU was the collector.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from proximity_tui.store.models import App
from proximity_tui.views import LiveStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from proximity_tui.proxmox.models import Guest

ROWS = select(App.id, App.lxc_id, App.status, App.updated_at, App.node)


class AppRows:
    """The (id, lxc_id, status, updated_at, node) rows of every app, re-read only on change."""

    def __init__(self) -> None:
        self._rows: list[Any] | None = None
        #: Where each pooled connection keeps its (data_version, total_changes) at our last read
        #: on it: its pool record's `info`, which lives and dies with the SQLite connection.
        self._key = object()

    def read(self, s: Session) -> list[Any]:
        pooled = s.connection().connection
        conn: Any = pooled.dbapi_connection  # sqlite3.Connection
        # Read inside the session's transaction: the version is its snapshot's, as the rows are.
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        stamp = (version, conn.total_changes)
        if self._rows is None or pooled.info.get(self._key) != stamp:
            self._rows = list(s.execute(ROWS).all())
            pooled.info[self._key] = stamp
        return self._rows


def live_status(
    g: Guest, before: dict[str, Any] | None = None, last: LiveStatus | None = None
) -> LiveStatus:
    """`LiveStatus` of a guest: its fields are the guest's under one other name (`maxcpu` is
    `cores`) less `type` and `template`, so a copy of the guest's `__dict__` (C code) with three
    keys changed builds it, instead of fifteen keyword arguments. `before` (the same CT's guest
    `__dict__` last tick) and `last` (its LiveStatus then): when its tags did not change, their
    tuple is reused (one object fewer per changed CT for the garbage collector)."""
    d = g.__dict__.copy()
    d["cores"] = d.pop("maxcpu")
    del d["type"], d["template"]
    tags = d["tags"]
    d["tags"] = (
        last.tags
        if last is not None and before is not None and before["tags"] == tags
        else tuple(tags)
    )
    live = object.__new__(LiveStatus)
    object.__setattr__(live, "__dict__", d)
    return live


def same_live(a: LiveStatus | None, b: LiveStatus | None) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    return a.__dict__ == b.__dict__


#: Allocations between two young-generation collections (CPython's default is 700: a tick at
#: 5,000 containers, which makes tens of thousands of short-lived objects, ran dozens), and per
#: app above that: a tick holds about 7 new tracked objects per CT (the decoded listing, the
#: changed LiveStatus and views) while last tick's are still alive, then frees those by reference
#: counting. A threshold above that peak lets a steady tick run no collection at all; at 20,000
#: a 5,000-CT tick ran one or two (12-20 ms of its thread's CPU) over objects about to die anyway.
GC_GEN0 = 20_000
GC_GEN0_PER_APP = 20
_settled = False


def settle_gc(apps: int = 0) -> None:
    """After each tick with `apps` apps. Once per process, after start-up: collect and freeze the
    survivors. Every time: raise the young threshold to fit the tick (never lowered)."""
    global _settled
    if not _settled:
        _settled = True
        gc.collect()
        gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    want = max(GC_GEN0, GC_GEN0_PER_APP * apps)
    if gen0 < want:
        gc.set_threshold(want, gen1, gen2)
