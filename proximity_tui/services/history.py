"""CPU and memory history of every app for the sparklines, kept by tick rather than by app.

The status tick hands over one tick's figures as two columns (`array`s: CPU fractions as doubles,
memory bytes as 64-bit ints), one entry per app in its slots' order, with the map from app id to
position. The book keeps the last `size` ticks in a ring whose column buffers are allocated by the
first `size` ticks and then overwritten in place (while the app count stays; a tick with another
count replaces its entry's buffers), so the memory a long-running dashboard uses is flat after the
first `size` ticks (3 minutes at 3 s), holding what per-app rings held: 16 bytes per app and tick.
An app's history is read on demand (the UI draws one app at a time): its points in the ticks the
book holds, oldest first.

Why by tick: a ring pair per app cost the tick a write into two buffers of every app (each its own
allocation, cold in the cache after the 3 s between ticks: about half a millisecond at 1,000
containers); two contiguous columns are built in one pass. What differs: an app's points are those
of the last `size` ticks (its sparkline covers the same minutes as every other app's), not its
last `size` points whenever they were taken.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterator, Mapping

#: Memory value stored for an app without a point in a tick (its CPU is NaN there).
NO_POINT = -1


class _Tick:
    """One tick's columns in the ring: which app is where, CPU (NaN: no point) and memory."""

    __slots__ = ("seq", "columns", "cpu", "mem")

    def __init__(self, seq: int, columns: Mapping[str, int], cpu: array, mem: array) -> None:
        self.seq = seq
        self.columns = columns
        self.cpu = cpu
        self.mem = mem


class HistoryBook(Mapping[str, tuple[tuple[float, ...], tuple[int, ...]]]):
    """Every app's history, read on demand: a snapshot carries the book, not copies of 1,000
    histories made on every tick.

    The monitor adds ticks on its thread while the dashboard reads on its own: a lock keeps a read
    from seeing a tick half-written (buffers are reused in place)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a history holds at least one tick")
        self.size = size
        self._ring: list[_Tick | None] = [None] * size
        self._pos = 0
        #: Ticks added so far: each tick's sequence number.
        self._seq = 0
        #: app id -> the first tick that counts for it (`track`): an app forgotten and tracked
        #: again (deleted, then deployed under the same id) starts empty.
        self._since: dict[str, int] = {}
        self._lock = threading.Lock()

    def track(self, app_id: str) -> None:
        """Count `app_id` from the next tick on (no-op when it is tracked already)."""
        with self._lock:
            self._since.setdefault(app_id, self._seq)

    def add_tick(self, columns: Mapping[str, int], cpu: array, mem: array) -> None:
        """One tick's figures: app `a` is at `columns[a]` in `cpu` (doubles, NaN for an app
        without a point this tick) and `mem` (64-bit ints). Both hold `len(columns)` entries;
        `columns` must not change afterwards (the tick makes a new map when its apps change)."""
        if not (len(cpu) == len(mem) == len(columns)):
            raise ValueError(
                f"{len(cpu)} CPU and {len(mem)} memory figures for {len(columns)} apps"
            )
        with self._lock:
            old = self._ring[self._pos]
            if old is not None and len(old.cpu) == len(cpu):
                old.cpu[:] = cpu  # same length: a copy into the buffer, no new allocation
                old.mem[:] = mem
                old.seq, old.columns = self._seq, columns
            else:
                self._ring[self._pos] = _Tick(self._seq, columns, array("d", cpu), array("q", mem))
            self._pos = (self._pos + 1) % self.size
            self._seq += 1

    def forget(self, app_id: str) -> None:
        with self._lock:
            self._since.pop(app_id, None)

    def __getitem__(self, app_id: str) -> tuple[tuple[float, ...], tuple[int, ...]]:
        """The app's points in the ticks held, oldest first."""
        with self._lock:
            since = self._since[app_id]
            cpu: list[float] = []
            mem: list[int] = []
            for tick in self._ring[self._pos :] + self._ring[: self._pos]:
                if tick is None or tick.seq < since:
                    continue
                i = tick.columns.get(app_id)
                if i is None:
                    continue
                c = tick.cpu[i]
                if c == c:  # NaN: no point for this app in this tick
                    cpu.append(c)
                    mem.append(tick.mem[i])
            return tuple(cpu), tuple(mem)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._since))

    def __len__(self) -> int:
        return len(self._since)
