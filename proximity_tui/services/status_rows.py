"""The status tick's per-row work, kept small (issue 19: under 10 ms of CPU beside the API call
at 1,000 containers, under 50 ms at 5,000).

- `AppRows` re-reads the light `apps` query only when the database changed, told by two
  counters of the pooled SQLite connection the read uses: `PRAGMA data_version` moves when any
  *other* connection (this process's or another one's: a CLI deploy beside the dashboard)
  committed, `total_changes` when this one wrote. Kept per connection: both unchanged since the
  last read on that connection means nothing was committed since, so the rows are still current.
  Checked first on a plain pooled connection (`unchanged`: no session, most ticks end there);
  a change, or a connection not read on yet, falls back to the read in a session.
  (Was a query folding the five columns of every row into one string: a scan of every row.)
- The listing's `Guest` is a `LiveStatus` (proxmox/models.py): a CT that moved publishes its
  guest as is, no copy and no second object.
- `Slot` keeps one app's state between ticks (last figures, `LiveStatus`, published view): a CT
  whose figures did not move keeps both objects; one that moved costs one dict comparison that
  stops at its first key (`Guest.from_api` puts the moving figures first) and one `AppView` (a
  view sharing its row's view, `with_live`).
- `history_columns` turns the tick's points into the history's two columns (`history.py` keeps
  the last ticks, not a ring per app) in C-level passes: no per-app buffer write.
- `settle_gc` runs after each tick; after the first full one, what start-up made (the app views, the
  slots, imported modules) is frozen out of the collector's sight (`gc.freeze`); after
  every tick the young-generation threshold is raised to fit a tick's allocations (20 per app, at
  least 20,000): a steady tick's objects die by reference counting before any collection sees
  them. At 5,000 containers about half of a tick's CPU was the collector.
"""

from __future__ import annotations

import gc
from array import array
from datetime import datetime
from math import nan as NAN
from operator import attrgetter
from sys import intern
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from proximity_tui.services.app_records import MONITORED
from proximity_tui.services.history import NO_POINT
from proximity_tui.store.models import App
from proximity_tui.views import AppView, LiveStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from proximity_tui.proxmox.models import Guest
    from proximity_tui.store.db import Database

ROWS = select(App.id, App.lxc_id, App.status, App.updated_at, App.node)


class AppRows:
    """The (id, lxc_id, status, updated_at, node) rows of every app, re-read only on change."""

    def __init__(self) -> None:
        self._rows: list[Any] | None = None
        #: Where each pooled connection keeps its (data_version, total_changes) at our last read
        #: on it: its pool record's `info`, which lives and dies with the SQLite connection.
        self._key = object()

    def unchanged(self, db: Database) -> list[Any] | None:
        """The rows of the last read when the connection the pool hands out now saw no commit
        since our last read on it, else None (then `read` in a session). A plain checkout and
        one PRAGMA: about 20 us against 150 for a session, and most ticks stop here."""
        if self._rows is None:
            return None
        fairy = db.engine.raw_connection()
        try:
            same = fairy.info.get(self._key) == _stamp(fairy.driver_connection)
            return self._rows if same else None
        finally:
            fairy.close()  # back to the pool

    def read(self, s: Session) -> list[Any]:
        pooled = s.connection().connection
        # Read inside the session's transaction: the version is its snapshot's, as the rows are.
        stamp = _stamp(pooled.dbapi_connection)
        if self._rows is None or pooled.info.get(self._key) != stamp:
            # Plain tuples, not SQLAlchemy `Row`s: the tick unpacks every row each tick (the
            # status decision), and a tuple unpacks in about half the time of a `Row`.
            self._rows = [tuple(r) for r in s.execute(ROWS)]
            pooled.info[self._key] = stamp
        return self._rows


def _stamp(conn: Any) -> tuple[int, int]:
    """A sqlite3 connection's (data_version, total_changes): equal stamps, no commit between."""
    return conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes


def with_live(
    view: AppView,
    live: LiveStatus | None,
    busy: tuple[int, str] | None = None,
    own: dict[str, Any] | None = None,
) -> AppView:
    """`replace(view, live=live, busy_op=..., busy_kind=...)` at a fraction of the cost (it runs
    for every app whose CT moved, on every tick: 3,500 a tick at 5,000 containers): a view that
    shares `view`'s fields (`AppView.__getattr__` reads them from `_row`) and holds its own only
    `live`, the busy pair while busy, and those fields with a class-level default whose value
    differs from it (`own`: `own_fields` of the row's view, kept by the tick's slot; computed
    here when not given). Otherwise the class answers what the view does not hold: usually its
    `__dict__` has two keys. A copy of the 21-field dict touched every value twice (the copy
    and, a tick later, its free), values cold in the cache by then."""
    row = view.__dict__.get("_row", view)  # a shared view's own row: never a chain of them
    fields: dict[str, Any] = {"_row": row, "live": live}
    extra = own_fields(row) if own is None else own
    if extra:
        fields.update(extra)
    if busy is not None:
        fields["busy_op"], fields["busy_kind"] = busy
    new = _new(AppView)
    _set(new, "__dict__", fields)
    return new


#: AppView fields with a class-level default besides `live` and the busy pair: a shared view
#: (`with_live`) holds them itself where its row's value is not the default.
DEFAULTED = ("reason", "stale", "secret_names")


def own_fields(view: AppView) -> dict[str, Any]:
    """The fields of `DEFAULTED` whose value in `view` is not the class's default (read-only:
    the usual empty answer is one shared dict, so the tick reads one object, warm, for it)."""
    own = {f: v for f in DEFAULTED if (v := getattr(view, f)) != getattr(AppView, f)}
    return own or _NO_FIELDS


_NO_FIELDS: dict[str, Any] = {}


_new = object.__new__
_set = object.__setattr__
_cpu = attrgetter("cpu")
_mem = attrgetter("mem")


def history_columns(points: list[LiveStatus | None], absent: bool) -> tuple[array, array]:
    """A tick's CPU and memory columns for `HistoryBook.add_tick` from each app's LiveStatus in
    the slots' order; `absent`: some are None (no point: NaN CPU). Usually none is: two C-level
    passes over the list."""
    if not absent:
        return array("d", map(_cpu, points)), array("q", map(_mem, points))
    return (
        array("d", [NAN if p is None else p.cpu for p in points]),
        array("q", [NO_POINT if p is None else p.mem for p in points]),
    )


def desired_status(current: str, guest: Guest | None, hidden: bool = False) -> str:
    """What the app's stored status should become after this tick (`hidden`: Proxmox would not
    say whether the CT exists, see `StatusMonitor._judge`)."""
    if current not in MONITORED:
        return current  # an operation owns it (deploying, updating, removing) or it is `error`
    if guest is None:
        return current if hidden else "missing"
    if guest.status == "running":
        return "running"
    if guest.status == "stopped":
        return "stopped"
    return current  # `unknown` (node offline): keep what we knew


class Slot:
    """One app across ticks: its row's view (and its `own_fields`), stored status and
    `updated_at`, last tick's figures (the guest's `__dict__`) and `LiveStatus`, and the
    `AppView` published for it with the busy pair it was built with. The tick reuses that view
    while its source view, figures and busy pair are the same objects or values (identity
    checks, no field-by-field comparison), and updates these slots in place instead of building
    two dicts of 5,000 entries a tick. While the apps rows did not change, the status decision
    reads the slots too (not the rows: one object per app to touch, not six)."""

    __slots__ = (
        "app_id",
        "vmid",
        "view",
        "own",
        "status",
        "updated",
        "figures",
        "live",
        "out",
        "work",
    )

    def __init__(
        self, app_id: str, vmid: int, view: AppView, status: str, updated: datetime | None
    ) -> None:
        self.app_id = app_id
        self.vmid = vmid
        self.view = view
        self.own = own_fields(view)
        self.figures: dict[str, Any] | None = None
        self.live: LiveStatus | None = None
        self.out: AppView | None = None
        self.work: tuple[int, str] | None = None
        self.status, self.updated = _status(status), updated

    def bind(self, vmid: int, view: AppView, status: str, updated: datetime | None) -> None:
        """The apps rows were re-read: a new view (or CT) means a new published view."""
        if vmid != self.vmid:
            self.vmid = vmid
            self.figures = self.live = None
        if view is not self.view:
            self.view = view
            self.own = own_fields(view)
            self.out = None
        self.status, self.updated = _status(status), updated


def _status(status: str) -> str:
    """Interned: every slot's `running` is one object, warm in the cache when compared."""
    return intern(status) if status.__class__ is str else status


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
