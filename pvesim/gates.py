"""Gates: named points where matching calls wait until a test opens them.

A test facility, not a Proxmox behaviour (nothing here models Proxmox): a fault rule with
`gate="name"` makes the API call, task or command it matches wait at that gate, so a test can hold
an operation at a known step for as long as it needs (to cancel it, to let a client's timeout fire,
to look at the screen) and let it go on an event of its choosing, never by racing real time.

A gate counts what `arrived`, what `passed` (went on once opened) and what `finished` (ended,
whether it passed, was abandoned or was cancelled). Tests in other threads wait on those counts
with `wait_until()`; tests on an event loop poll them. Thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any


class Gate:
    def __init__(self, name: str) -> None:
        self.name = name
        self._cond = threading.Condition()
        self._open = False
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.arrived = 0
        self.passed = 0
        self.finished = 0
        self._gone = 0  # left without passing (abandoned or cancelled)

    @property
    def is_open(self) -> bool:
        with self._cond:
            return self._open

    @property
    def holding(self) -> int:
        """Calls waiting at the gate now."""
        with self._cond:
            return self.arrived - self.passed - self._gone

    def open(self) -> None:
        """Let every waiting call (and every later one) through."""
        with self._cond:
            self._open = True
            waiters, self._waiters = self._waiters, []
            self._cond.notify_all()
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is gone: nothing waits there
                loop.call_soon_threadsafe(_resolve, future)

    def close(self) -> None:
        """Later calls wait again (those already through are not called back)."""
        with self._cond:
            self._open = False

    def wait_until(self, predicate: Callable[[Gate], bool], timeout: float = 30.0) -> bool:
        """Block this thread until `predicate(gate)` holds (False if `timeout` passed first).
        For threads other than the simulator's; on an event loop, poll the counts instead."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def settled(self) -> bool:
        """Every call that arrived has finished."""
        return self.finished >= self.arrived

    @contextlib.asynccontextmanager
    async def hold(self, abandon: Awaitable[Any] | None = None) -> AsyncIterator[bool]:
        """Wait here until the gate opens (yields True), or until `abandon` completes first
        (yields False: the caller gave up, e.g. closed its channel). `finished` counts the exit
        of the whole `async with` block, so it covers the work done after passing."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] | None = None
        with self._cond:
            self.arrived += 1
            if not self._open:
                future = loop.create_future()
                self._waiters.append((loop, future))
            self._cond.notify_all()
        counted = False
        try:
            passed = await _wait(future, abandon)
            with self._cond:
                if passed:
                    self.passed += 1
                else:
                    self._gone += 1
                counted = True
                self._cond.notify_all()
            yield passed
        finally:
            with self._cond:
                if not counted:  # cancelled while waiting
                    self._gone += 1
                if future is not None and not future.done():
                    future.cancel()
                self._waiters = [(lp, f) for lp, f in self._waiters if f is not future]
                self.finished += 1
                self._cond.notify_all()

    def to_dict(self) -> dict[str, Any]:
        with self._cond:
            return {
                "open": self._open,
                "arrived": self.arrived,
                "passed": self.passed,
                "finished": self.finished,
            }


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _wait(future: asyncio.Future[None] | None, abandon: Awaitable[Any] | None) -> bool:
    if future is None:
        return True
    if abandon is None:
        await future
        return True
    other = asyncio.ensure_future(abandon)
    try:
        await asyncio.wait({future, other}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        other.cancel()
    return future.done() and not future.cancelled()
