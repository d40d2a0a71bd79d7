"""The status tick's per-row work, kept small (issue 19: under 10 ms of CPU beside the API call
at 1,000 containers, under 50 ms at 5,000).

- `AppRows` re-reads the light `apps` query only when the table changed: one probe query folds
  the five columns the tick reads into one string inside SQLite (C code, a fraction of a
  millisecond for 1,000 rows), compared with the last one. Any write, by this process or another
  one (a CLI deploy beside the dashboard), changes it; then the rows are read again.
- `live_status` builds the frozen `LiveStatus` from a copy of the guest's `__dict__`, without
  running its dataclass `__init__` (a frozen dataclass sets each of its 15 fields through
  `object.__setattr__`), and `same_live` compares two by their `__dict__` (one C-level dict
  comparison instead of two 15-tuples).
- `settle_gc` runs once, after the first full tick: what start-up made (the app views, the
  history rings, imported modules) is frozen out of the collector's sight (`gc.freeze`), and
  young objects are collected less often. At 5,000 containers about half of a tick's CPU was the
  collector walking those long-lived objects again and again.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from proximity_tui.store.models import App
from proximity_tui.views import LiveStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from proximity_tui.proxmox.models import Guest

ROWS = select(App.id, App.lxc_id, App.status, App.updated_at, App.node)
PROBE = text(
    "SELECT count(*), group_concat(id || char(31) || lxc_id || char(31) || status || char(31) "
    "|| ifnull(updated_at, '') || char(31) || node, char(30)) FROM apps"
)


class AppRows:
    """The (id, lxc_id, status, updated_at, node) rows of every app, re-read only on change."""

    def __init__(self) -> None:
        self._probe: tuple[Any, ...] | None = None
        self._rows: list[Any] = []

    def read(self, s: Session) -> list[Any]:
        probe = tuple(s.execute(PROBE).one())
        if probe != self._probe:
            self._rows = list(s.execute(ROWS).all())
            self._probe = probe
        return self._rows


def live_status(g: Guest) -> LiveStatus:
    """`LiveStatus` of a guest: its fields are the guest's under one other name (`maxcpu` is
    `cores`) less `type` and `template`, so a copy of the guest's `__dict__` (C code) with three
    keys changed builds it, instead of fifteen keyword arguments."""
    d = g.__dict__.copy()
    d["cores"] = d.pop("maxcpu")
    del d["type"], d["template"]
    d["tags"] = tuple(d["tags"])
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
#: 5,000 containers, which makes tens of thousands of short-lived objects, ran dozens).
GC_GEN0 = 20_000
_settled = False


def settle_gc() -> None:
    """Once per process, after start-up: collect, freeze the survivors, raise the threshold."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0, gen1, gen2)
