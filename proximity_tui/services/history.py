"""Fixed-size CPU and memory history per app, for the sparklines.

Each app gets two preallocated ring buffers (`array`) the first time it is seen, so the memory a
long-running dashboard uses is flat from then on: a deque of Python numbers would keep growing
for the whole first window (60 ticks, 3 minutes) and cost 32 bytes a point instead of 8.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterator, Mapping
from typing import Any


class History:
    """CPU fractions (doubles) and memory bytes (64-bit ints) of one app: two preallocated rings
    sharing one write position (a tick appends to both: one position update, not two)."""

    __slots__ = ("cpu", "mem", "pos", "count")

    def __init__(self, size: int) -> None:
        self.cpu: array[float] = array("d", bytes(8 * size))
        self.mem: array[int] = array("q", bytes(8 * size))
        self.pos = 0
        self.count = 0

    def add(self, cpu: float, mem: int) -> None:
        pos = self.pos
        self.cpu[pos] = cpu
        self.mem[pos] = mem
        size = len(self.cpu)
        self.pos = (pos + 1) % size
        if self.count < size:
            self.count += 1

    def values(self) -> tuple[tuple[float, ...], tuple[int, ...]]:
        """Oldest first."""
        return _ordered(self.cpu, self.pos, self.count), _ordered(self.mem, self.pos, self.count)

    def __len__(self) -> int:
        return self.count


def _ordered(buf: array[Any], pos: int, count: int) -> tuple[Any, ...]:
    if count < len(buf):
        return tuple(buf[:count])
    return tuple(buf[pos:]) + tuple(buf[:pos])


class HistoryBook(Mapping[str, tuple[tuple[float, ...], tuple[int, ...]]]):
    """Every app's history, read on demand: a snapshot carries the book, not copies of 1,000
    histories made on every tick (the UI only ever draws the one app it shows).

    The monitor appends on its thread while the dashboard reads on its own: a lock keeps a read
    from seeing a half-written point."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._apps: dict[str, History] = {}
        self._lock = threading.Lock()

    def add(self, app_id: str, cpu: float, mem: int) -> None:
        with self._lock:
            history = self._apps.get(app_id)
            if history is None:
                history = self._apps[app_id] = History(self.size)
            history.add(cpu, mem)

    def ring(self, app_id: str) -> History:
        """The app's history, made empty the first time (the status tick keeps it per app)."""
        with self._lock:
            history = self._apps.get(app_id)
            if history is None:
                history = self._apps[app_id] = History(self.size)
            return history

    def add_points(self, rings: list[History], points: list[Any]) -> None:
        """One tick's points: `rings[i]` (from `ring`) gets `points[i].cpu` and `.mem`, under one
        lock (taking it per app cost more than the appends)."""
        with self._lock:
            size = self.size
            for h, point in zip(rings, points, strict=True):
                # History.add inlined: one method call less per app and tick (5,000 at 5,000 CTs)
                pos = h.pos
                h.cpu[pos] = point.cpu
                h.mem[pos] = point.mem
                h.pos = pos + 1 if pos + 1 < size else 0
                if h.count < size:
                    h.count += 1

    def forget(self, app_id: str) -> None:
        with self._lock:
            self._apps.pop(app_id, None)

    def __getitem__(self, app_id: str) -> tuple[tuple[float, ...], tuple[int, ...]]:
        with self._lock:
            return self._apps[app_id].values()

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._apps))

    def __len__(self) -> int:
        return len(self._apps)
