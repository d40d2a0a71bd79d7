"""A write the running operation must have made before it sends anything more to Proxmox.

An operation writes each step's start to its journal before the step sends anything, so that
a process that dies in the step is reported in that step. That write used to be a thread hop
of its own before the step's first call (eleven a deploy). Now the step's first call carries
it: the API worker thread that sends the call commits the write first, in the same hop
(`session.ApiSession.request`); a host command waits for it in a hop of its own
(`exec.ContainerExec`), which host commands started at the same moment share; calls made at the
same moment wait until it is written. Nothing reaches Proxmox before it. A write made later in
the step (the state a step saves right before its side effect) is chained after the one still
pending (`after`): the next call makes both, in order, in its hop.

`pipeline.run_steps` names where the pending write is found (a context variable, as
`once.reads_once`: no signature changes, and the tasks a step starts inherit it). Outside an
operation there is none.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar


class WriteAhead:
    """`write`, made once by the first caller that needs it (in any thread); a caller that
    comes meanwhile waits until it is done. Only the caller that made it sees its error: that
    caller's step fails with it, as it failed when the write had its own hop."""

    done: bool

    def __init__(self, write: Callable[[], object], *, after: WriteAhead | None = None) -> None:
        self._write = write
        #: A write still pending when this one was made: made first, by the same caller.
        self._after = after if after is not None and not after.done else None
        self._lock = threading.Lock()
        self._hop: asyncio.Future[None] | None = None
        self.done = False

    def ensure(self) -> None:
        if self.done:
            return
        with self._lock:
            if self.done:
                return
            try:
                if self._after is not None:
                    self._after.ensure()
                self._write()
            finally:
                self.done = True
                self._after = None

    async def made(self) -> None:
        """`ensure` in a worker thread, from the event loop: callers that come while it is in
        flight (a step's host commands started together) share that one hop instead of each
        taking a thread to wait in. Only the caller that started it sees its error."""
        if self.done:
            return
        hop = self._hop
        if hop is None:
            hop = self._hop = asyncio.ensure_future(asyncio.to_thread(self.ensure))
            await asyncio.shield(hop)  # a cancelled caller leaves the write to finish
            return
        await asyncio.wait([hop])  # a started write is awaited, its error left to its maker


Source = Callable[[], WriteAhead | None]

_source: ContextVar[Source | None] = ContextVar("proximity_write_ahead", default=None)


def pending() -> WriteAhead | None:
    """The running operation's write still to make before a call, if any."""
    source = _source.get()
    ahead = source() if source is not None else None
    return ahead if ahead is not None and not ahead.done else None


@contextlib.contextmanager
def written_first(source: Source) -> Iterator[None]:
    """Within the block (and tasks started in it), calls make `source()`'s write first."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)
