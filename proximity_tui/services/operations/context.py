"""Running an operation: journal row, step events, secrets masked, cancellation.

`Operations.begin()` opens a journal row (`running`, with the acting user and redacted parameters)
and returns an `OperationContext`. Everything the operation reports goes through `emit()`: secrets
registered with the journal are masked first, then the event is published to subscribers at once
and written to `operation_events` in batches from a worker thread (the service loop never waits
on SQLite per line). `finish()` writes what is pending, the final row and the last event in one
transaction. The context also keeps the operation's resumable state (`save_state`) in the row,
which crash recovery reads.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from proximity_tui.errors import OperationCancelled
from proximity_tui.proxmox.write_ahead import WriteAhead
from proximity_tui.services import events as ev

if TYPE_CHECKING:
    from proximity_tui.services.journal import Journal
    from proximity_tui.services.operations.pipeline import Step
    from proximity_tui.views import AppView


T = TypeVar("T")
#: Writes the operation's saved state inside a transaction its caller holds.
StateWrite = Callable[[sqlite3.Connection], None]

#: Seconds output lines wait to be written together (a step boundary writes at once).
FLUSH_DELAY = 0.25


class Operations:
    """Factory of operation contexts, sharing the journal, the event hub and the redactor."""

    def __init__(self, journal: Journal, hub: ev.Hub[ev.OperationEvent]):
        self.journal = journal
        self.hub = hub
        #: Live contexts by operation id (the UI reopens a running deploy's progress from here).
        self.live: dict[int, OperationContext] = {}

    async def begin(
        self,
        kind: str,
        *,
        user_id: int | None,
        app_id: str | None = None,
        hostname: str | None = None,
        parameters: dict[str, Any] | None = None,
        secrets: Iterable[str] = (),
        stored_secrets: Callable[[], Iterable[str]] | None = None,
        check: Callable[[], None] | None = None,
    ) -> OperationContext:
        """`check` (an input check that raises on bad input) and `stored_secrets` (more secrets
        from the database) run in the worker thread that writes the row, before it: one hop."""
        # Registered before anything is written or published: the journal masks them everywhere.
        for value in secrets:
            self.journal.register_secret(value)

        def start() -> int:
            if check is not None:
                check()
            for value in stored_secrets() if stored_secrets is not None else ():
                self.journal.register_secret(value)
            return self.journal.start(
                kind,
                app_id=app_id,
                hostname=hostname,
                user_id=user_id,
                parameters=self.journal.redact(dict(parameters or {})),
            )

        op_id = await asyncio.to_thread(start)
        ctx = OperationContext(self, op_id, kind, app_id=app_id, hostname=hostname)
        self.live[op_id] = ctx
        await ctx.emit(ev.STARTED, f"{kind} {hostname or app_id or ''}".strip())
        return ctx


class OperationContext:
    def __init__(
        self, ops: Operations, op_id: int, kind: str, *, app_id: str | None, hostname: str | None
    ) -> None:
        self._ops = ops
        self.op_id = op_id
        self.kind = kind
        self.app_id = app_id
        self.hostname = hostname
        #: Facts a later step, an undo or crash recovery needs (vmid, node, snapshot, ...).
        self.state: dict[str, Any] = {}
        self.cancel_event = asyncio.Event()
        self.cancel_reason = "cancelled"
        self.step: str | None = None
        self.progress = 0.0
        self._step_base = 0.0
        self._step_share = 0.0
        self._pending: list[dict[str, Any]] = []
        #: Writes this context's events in order: whoever holds it takes the pending batch.
        self._write_lock = asyncio.Lock()
        #: Set while output lines wait FLUSH_DELAY to be written together; then `_writer` writes.
        self._timer: asyncio.TimerHandle | None = None
        self._writer: asyncio.Task[None] | None = None
        self._write_error: BaseException | None = None
        #: The current step's start, written by the step's first call (`proxmox/write_ahead.py`)
        #: or by the next write of this context, whichever comes first.
        self._ahead: WriteAhead | None = None
        #: Contexts live on the service loop; `cancel()` may come from any thread.
        self._loop = asyncio.get_running_loop()
        #: Every event so far, for a screen that opens after the operation started.
        self.history: list[ev.OperationEvent] = []
        #: (name, title) of every step, set when the steps start: a screen that opens mid-way
        #: lists the steps still to come too.
        self.plan: list[tuple[str, str]] = []
        self.status = "running"
        #: The app as the operation left it, when a step read it back in its last write (a
        #: deploy's record step): whoever awaited the operation shows it without a read.
        self.app_view: AppView | None = None

    # --- reporting ---

    async def emit(
        self,
        kind: str,
        message: str = "",
        *,
        step: str | None = None,
        level: str = "info",
        progress: float | None = None,
        status: str | None = None,
        duration: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self._record(kind, message, step, level, progress, status, duration, extra=extra)

    def log(self, message: str, level: str = "info") -> None:
        """A line of output from a task or a command (sync: usable as a streaming callback)."""
        for line in message.splitlines() or [""]:
            self._record(ev.LOG, line, self.step, level, None, None, None)

    def _record(
        self,
        kind,
        message,
        step,
        level,
        progress,
        status,
        duration,
        *,
        publish: bool = True,
        queue: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> ev.OperationEvent:
        event = ev.OperationEvent(
            op_id=self.op_id,
            kind=kind,
            message=self._ops.journal.mask(message),
            step=step if step is not None else self.step,
            level=level,
            progress=progress,
            status=status,
            app_id=self.app_id,
            hostname=self.hostname,
            operation=self.kind,
            duration=duration,
            extra=extra or {},
        )
        self.history.append(event)
        if len(self.history) > 5000:  # a chatty log must not grow without bound
            del self.history[1000:2000]
        if publish:
            self._ops.hub.publish(event)
        if not queue:  # the caller writes it itself
            return event
        self._pending.append(_row(event))
        if self._timer is None:
            self._timer = self._loop.call_later(FLUSH_DELAY, self._flush_later)
        return event

    def _flush_later(self) -> None:
        # Output lines come in bursts: a burst waits FLUSH_DELAY to be one transaction, unless
        # a step boundary writes it first (`flush`, which cancels this timer).
        self._timer = None
        self._writer = self._loop.create_task(self._flush())  # referenced until it ends
        self._writer.add_done_callback(self._written)

    def _written(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._write_error = task.exception()  # raised by the next `flush` (a step's start)

    async def _flush(self) -> None:
        async with self._write_lock:  # after a write in flight: batches stay in order
            while self._pending:
                batch, self._pending = self._pending, []
                await asyncio.to_thread(self._after_ahead, self._ops.journal.events, batch)

    def _after_ahead(self, write: Callable[..., object], *args: Any, **kwargs: Any) -> Any:
        """In the writing thread: the step's start first if no call has written it yet (the
        journal keeps the order things happened in), then `write(op_id, ...)`."""
        if self._ahead is not None:
            self._ahead.ensure()
        return write(self.op_id, *args, **kwargs)

    def ahead(self) -> WriteAhead | None:
        """The step's start while it waits for the step's first call to write it."""
        return self._ahead

    async def settle(self) -> None:
        """Write the step's start now if no call has (a step that sent nothing, a state saved
        before its first call)."""
        ahead = self._ahead
        if ahead is not None and not ahead.done:
            await ahead.made()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _raise_lost_write(self) -> None:
        """Raise the error of a batch written in the background that was lost, once."""
        if self._write_error is not None:
            error, self._write_error = self._write_error, None
            raise error

    async def flush(self) -> None:
        """Write every event so far now (step boundaries, the end)."""
        self._stop_timer()
        self._raise_lost_write()
        await self.settle()
        await self._flush()

    # --- steps (called by pipeline.run_steps) ---

    async def enter_step(self, step: Step, base: float, share: float) -> None:
        """Announce the step and have its start written before it sends anything: by its
        first call, in that call's thread hop (`proxmox/write_ahead.py`), or by `settle`. If the
        process dies in this step, recovery (and the user) are told this step, not the one
        before."""
        self.step = step.name
        self._step_base, self._step_share = base, share
        event = self._record(
            ev.STEP_STARTED, step.title, step.name, "info", base, None, None, publish=False
        )
        self._stop_timer()
        self._raise_lost_write()
        async with self._write_lock:  # after a batch in flight: the journal keeps the order
            await self.settle()  # the step before sent nothing: its start is written first
            batch, self._pending = self._pending, []
            self._ahead = WriteAhead(partial(self._ops.journal.events, self.op_id, batch))
        self._ops.hub.publish(event)

    def step_progress(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        self.progress = self._step_base + self._step_share * fraction
        self._record(ev.PROGRESS, "", self.step, "info", self.progress, None, None)

    async def step_finished(self, step: Step, duration: float, progress: float) -> None:
        self.progress = progress
        await self.emit(
            ev.STEP_FINISHED, step.title, step=step.name, progress=progress, duration=duration
        )

    async def step_failed(self, step: Step, error: str, duration: float) -> None:
        await self.emit(ev.STEP_FAILED, error, step=step.name, level="error", duration=duration)

    # --- state, cancellation, end ---

    async def save_state(self, **values: Any) -> None:
        """Persist facts crash recovery needs *before* the action that depends on them."""
        self.state.update(values)
        await asyncio.to_thread(self._after_ahead, self._ops.journal.save_state, dict(self.state))

    def save_state_ahead(self, **values: Any) -> None:
        """`save_state` for facts the journal must hold before the step's next call or host
        command reaches Proxmox (a create's `create_requested`): that call's thread hop writes
        them, after the step's start if that is still pending (`proxmox/write_ahead.py`),
        instead of a hop of their own. Any other write of this context makes them first, and
        a step that sends nothing more makes them at its end (`settle`)."""
        self.state.update(values)
        write = partial(self._ops.journal.save_state, self.op_id, dict(self.state))
        self._ahead = WriteAhead(write, after=self._ahead)

    async def save_state_with(
        self, write: Callable[[StateWrite], Awaitable[T]], **values: Any
    ) -> T:
        """`save_state(**values)` in the same transaction as a database write of the step's
        own: `write` is given the state's writer and passes it on (`AppRecords.reserve(also=)`,
        `set_status(also=)`), so the app row and the facts recovery reads about it commit
        together, in one thread hop. `self.state` takes the values once that write returned."""
        await self.settle()  # the step's start, then the write that holds the state
        state = {**self.state, **values}
        out = await write(partial(self._ops.journal.save_state_in, op_id=self.op_id, state=state))
        self.state.update(values)
        return out

    def cancel(self, reason: str = "cancelled") -> None:
        """Ask the operation to stop (it rolls back). Safe from any thread."""
        self.cancel_reason = reason
        try:
            same_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self.cancel_event.set()
        else:  # the event may be replaced by the rollback: look it up when the loop runs this
            self._loop.call_soon_threadsafe(lambda: self.cancel_event.set())

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise OperationCancelled(self.cancel_reason)

    async def finish(
        self,
        status: str,
        *,
        message: str = "",
        error: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        level = "info" if status == "succeeded" else "error"
        # The app's URL rides on the last event: a notification can offer it without a lookup.
        extra = {"url": self.state["url"]} if self.state.get("url") else None
        full = {"state": dict(self.state), **(result or {})}
        if self.plan:  # a progress screen opened after the end lists the steps never reached too
            full["plan"] = [list(step) for step in self.plan]
        event = self._record(
            ev.FINISHED, message or status, None, level, None, status, None, publish=False,
            extra=extra, queue=False,
        )  # fmt: skip
        # One transaction: the events still pending, the row made final, FINISHED itself. The
        # row is final before anyone hears FINISHED: a listener that reloads the journal on it
        # (the detail screen's Operations tab) must not read `running` and keep it for good.
        self._stop_timer()
        async with self._write_lock:
            last, self._pending = [*self._pending, _row(event)], []
            await asyncio.to_thread(
                self._after_ahead,
                self._ops.journal.finish,
                status,
                error=error,
                result=full,
                step=self.step,
                events=last,
            )
        self._ops.hub.publish(event)
        self._ops.live.pop(self.op_id, None)


def _row(event: ev.OperationEvent) -> dict[str, Any]:
    """An event as the journal writes it."""
    return {
        "ts": event.ts,
        "step": event.step,
        "level": event.level,
        "kind": event.kind,
        "message": event.message,
        "progress": event.progress,
    }


def process_identity() -> tuple[int, str]:
    """(pid, host) recorded on each operation so a later process can tell if its owner died."""
    return os.getpid(), socket.gethostname()
