"""Independent reads of one step, made at once instead of one after another.

A deploy step often reads several things from Proxmox that do not depend on each other (the
node's storages and its package versions; the OS templates and the node's base). Each is a round
trip (tens of ms on a real cluster); the API session runs them on its worker threads side by side.
`in_order` keeps the sequential code's outcome: results in argument order, and when several
fail, the error of the first in that order (the one the sequential code would have raised).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


async def in_order(*steps: Awaitable[Any]) -> tuple[Any, ...]:
    """The results of `steps`, run concurrently, in argument order. On a failure the first
    failing step in argument order raises (those before it ran to their end, as they would
    have sequentially) and the rest are cancelled."""
    tasks = [asyncio.ensure_future(s) for s in steps]
    try:
        return tuple([await task for task in tasks])
    finally:
        pending = [t for t in tasks if not t.done()]
        for task in pending:
            task.cancel()
        if pending:  # their cancellation (or failure) is retrieved, never left unheard
            await asyncio.gather(*pending, return_exceptions=True)
        for task in tasks:
            if task.done() and not task.cancelled():
                task.exception()  # a later step's error, superseded: marked retrieved


@contextlib.asynccontextmanager
async def beside(step: Awaitable[T]) -> AsyncIterator[asyncio.Future[T]]:
    """`step` started now, while the block does something else first; the block awaits it
    where it needs the result. Left unawaited (the block returned or raised first), it is
    cancelled, its cancellation waited for (as `in_order` does) and its outcome dropped."""
    task = asyncio.ensure_future(step)
    try:
        yield task
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # never left running or unheard
        elif not task.cancelled():
            task.exception()  # retrieved: the block's own outcome came first
