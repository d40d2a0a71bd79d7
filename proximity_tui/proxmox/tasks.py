"""Waiting for Proxmox tasks (UPIDs): adaptive polling, the log streamed as it grows, timeouts,
cancellation that stops the task, and failures raised with the task's own error line.

PVE numbers log lines from 1 and takes `start` as the number of lines to skip; an entirely
empty log is answered with one placeholder line `no content`, which is not task output.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import (
    OperationCancelled,
    ProximityError,
    ProxmoxTimeout,
    TaskFailed,
)
from proximity_tui.proxmox.coerce import as_int
from proximity_tui.proxmox.upid import TaskStatus, Upid

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient

log = logging.getLogger(__name__)

#: Called with each new log line, in order, exactly once (may be a coroutine function).
LogCallback = Callable[[str], Awaitable[Any] | Any]
#: Called after each look that found the task still running (the caller's heartbeat: a task
#: that writes nothing for minutes, a full clone or a backup, would leave a silent log).
PollCallback = Callable[[], Any]

ERROR_PREFIX = "TASK ERROR: "
_END_LINES = ("TASK OK", ERROR_PREFIX, "TASK WARNINGS: ")
LOG_PAGE = 500


class _LogCursor:
    """Reads a task log incrementally and hands each new line to the callback once."""

    def __init__(self, client: ProxmoxClient, upid: str, on_log: LogCallback | None) -> None:
        self.client, self.upid, self.on_log = client, upid, on_log
        self.seen = 0  # highest line number delivered
        self.lines: list[str] = []
        #: A line the task writes as it ends was read (pve-common `PVE/RESTEnvironment.pm`
        #: fork_worker writes `TASK OK` / `TASK ERROR: ...` / `TASK WARNINGS: n` last, and
        #: `PVE/Tools.pm` upid_read_status reads a stopped task's status from that line).
        self.ended = False

    async def pump(self) -> None:
        while True:
            rows = await self.client.task_log_entries(self.upid, start=self.seen, limit=LOG_PAGE)
            if len(rows) == 1 and rows[0] == (1, "no content") and self.seen == 0:
                return  # PVE's placeholder for an empty log
            fresh = [(n, t) for n, t in rows if n > self.seen]
            for n, text in fresh:
                self.seen = n
                self.lines.append(text)
                self.ended = self.ended or text.startswith(_END_LINES)
                if self.on_log is not None:
                    result = self.on_log(text)
                    if inspect.isawaitable(result):
                        await result
            if len(rows) < LOG_PAGE:
                return


#: Growth of the pause between two looks at a task. A geometric schedule keeps each pause near
#: (growth - 1) of the time waited so far, and the end is seen that much late: 1.6 saw a 1.5 s
#: start 0.65 s after it ended; 1.25 sees it within a quarter of its length (two looks more).
POLL_GROWTH = 1.25
#: The pause stops growing at `STEADY_PAUSE` for the first `STEADY_FOR` seconds of a wait: what a
#: deploy waits for most (a clone, a start, a resize, a DHCP lease, Docker's first health probe
#: 5 s after a start) ends within seconds, and a geometric pause there adds up to half the wait
#: (a 2 s lease was seen at 2.46 s). Four looks a second for a few seconds is cheap for an API
#: GET; a look that is a `pct exec` takes longer than the pause on a real node, so the looks
#: never overlap: the node runs one at a time. Longer waits back off as before.
STEADY_PAUSE, STEADY_FOR = 0.25, 6.0
#: The steady pause when a look is one API GET that the node answers from memory or a file (a
#: task's status: pve-manager `PVE/API2/Tasks.pm` read_task_status; a CT's interfaces): what
#: is waited for (a 0.3 s clone, a 1.5 s start, a lease) is seen 0.05 s late on average instead
#: of 0.125 s. A task's log is read at most every `LOG_EVERY` s meanwhile (and at its end), so
#: a task costs the node about as many GETs a second as at four looks a second with its log.
GET_PAUSE, LOG_EVERY = 0.1, 0.5


async def _both(first: Awaitable[TaskStatus], second: Awaitable[None]) -> tuple[TaskStatus, None]:
    """`first` and `second` at once; the status's error wins (the order of the looks before),
    and neither is left running when the other failed."""
    status = asyncio.ensure_future(first)
    try:
        await second
    except BaseException:
        if not status.done():
            status.cancel()
        outcome = (await asyncio.gather(status, return_exceptions=True))[0]
        if isinstance(outcome, Exception):
            raise outcome from None
        raise
    return await status, None


def next_pause(
    previous: float,
    waited: float,
    longest: float,
    growth: float = POLL_GROWTH,
    *,
    steady: float = STEADY_PAUSE,
) -> float:
    """The pause before the next look, after `previous`, `waited` seconds into a wait."""
    grown = previous * growth
    if waited < STEADY_FOR:
        return min(grown, max(steady, previous), longest)
    return min(max(grown, steady), longest)


async def wait_task(
    client: ProxmoxClient,
    upid: str,
    *,
    timeout: float = 600.0,
    on_log: LogCallback | None = None,
    cancel: asyncio.Event | None = None,
    poll_start: float = 0.05,
    poll_max: float = 1.5,
    stop_on_timeout: bool = True,
    on_poll: PollCallback | None = None,
) -> TaskStatus:
    """Wait until the task stops; return its status if it succeeded, raise otherwise.

    Polls fast at first (tasks at time scale 0, or quick ones, end in milliseconds), every
    `GET_PAUSE` for the first seconds (its log every `LOG_EVERY`), then backs off to
    `poll_max`. Raises `TaskFailed` (message: the last `TASK ERROR:` line), `ProxmoxTimeout`
    after `timeout` seconds (stopping the task unless told not to), or `OperationCancelled`
    once `cancel` is set (the task is stopped first). `on_poll` is called after every look
    that finds the task still running.
    """
    task = Upid.parse(upid)
    call = f"task {task.label}"
    cursor = _LogCursor(client, upid, on_log)
    loop = asyncio.get_running_loop()
    begun = loop.time()
    deadline = begun + timeout
    interval = poll_start
    pumped = -LOG_EVERY
    while True:
        if cancel is not None and cancel.is_set():
            await _stop(client, upid)
            raise OperationCancelled(f"{call} was cancelled and stopped")
        if on_log is not None and loop.time() - pumped >= LOG_EVERY:
            # The status and the log side by side (a quick task, the first look, ends here in
            # one round trip, not two); lines written between the two reads are read again,
            # unless the log already holds its last line.
            pumped = loop.time()
            status, _ = await _both(client.task_status(upid), cursor.pump())
            if not status.running and not cursor.ended:
                await cursor.pump()
        else:
            status = await client.task_status(upid)
            if on_log is not None and not status.running:
                await cursor.pump()
        if not status.running:
            break
        if on_poll is not None:
            on_poll()
        remaining = deadline - loop.time()
        if remaining <= 0:
            stopped = stop_on_timeout and await _stop(client, upid)
            raise ProxmoxTimeout(
                f"did not finish within {timeout:g}s" + ("; it was stopped" if stopped else ""),
                call=call,
            )
        await _pause(min(interval, remaining), cancel)
        interval = next_pause(interval, loop.time() - begun, poll_max, steady=GET_PAUSE)

    if status.ok:
        return status
    if on_log is None:  # read the log only now, to quote the task's own error line
        await cursor.pump()
    message = _error_line(cursor.lines) or status.exitstatus or "task failed"
    raise TaskFailed(message, upid=upid, exitstatus=status.exitstatus or "", call=call)


def _error_line(lines: list[str]) -> str | None:
    """The task's `TASK ERROR:` line. vzdump ends with a bare "job errors" and gives the real
    cause on an earlier `ERROR:` line (`ERROR: Backup of VM 105 failed - ...`): add it."""
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith(ERROR_PREFIX):
            message = lines[index][len(ERROR_PREFIX) :].strip()
            detail = next(
                (
                    ln[len("ERROR:") :].strip()
                    for ln in reversed(lines[:index])
                    if ln.startswith("ERROR:")
                ),
                None,
            )
            if detail and detail not in message:
                message = f"{message}: {detail}"
            return message
    return None


async def _pause(seconds: float, cancel: asyncio.Event | None) -> None:
    if cancel is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(cancel.wait(), seconds)


async def _stop(client: ProxmoxClient, upid: str) -> bool:
    """Best effort: the task may have ended in the meantime."""
    try:
        await client.stop_task(upid)
    except ProximityError as exc:
        log.info("stopping task %s: %s", upid, exc)
        return False
    return True


def log_rows(rows: list[dict[str, Any]] | None) -> list[tuple[int, str]]:
    """`[{"n": 1, "t": "..."}]` -> `[(1, "...")]`, in line order."""
    out = [(as_int(r.get("n")), str(r.get("t", ""))) for r in rows or []]
    return sorted(out)
