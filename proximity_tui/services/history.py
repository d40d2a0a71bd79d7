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


class Ring:
    __slots__ = ("_buf", "_pos", "_count")

    def __init__(self, size: int, typecode: str) -> None:
        self._buf: array[Any] = array(typecode, bytes(array(typecode).itemsize * size))
        self._pos = 0
        self._count = 0

    def append(self, value: float) -> None:
        buf = self._buf
        buf[self._pos] = value
        self._pos = (self._pos + 1) % len(buf)
        if self._count < len(buf):
            self._count += 1

    def values(self) -> tuple:
        """Oldest first."""
        buf, pos = self._buf, self._pos
        if self._count < len(buf):
            return tuple(buf[: self._count])
        return tuple(buf[pos:]) + tuple(buf[:pos])

    def __len__(self) -> int:
        return self._count


class History:
    """CPU fractions (doubles) and memory bytes (64-bit ints) of one app."""

    __slots__ = ("cpu", "mem")

    def __init__(self, size: int) -> None:
        self.cpu = Ring(size, "d")
        self.mem = Ring(size, "q")

    def add(self, cpu: float, mem: int) -> None:
        self.cpu.append(cpu)
        self.mem.append(mem)

    def values(self) -> tuple[tuple[float, ...], tuple[int, ...]]:
        return self.cpu.values(), self.mem.values()


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

    def add_many(self, points: list[tuple[str, float, int]]) -> None:
        """One tick's points under one lock (taking it per app cost more than the appends)."""
        with self._lock:
            apps, size = self._apps, self.size
            for app_id, cpu, mem in points:
                history = apps.get(app_id)
                if history is None:
                    history = apps[app_id] = History(size)
                history.cpu.append(cpu)
                history.mem.append(mem)

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
