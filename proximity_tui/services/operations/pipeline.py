"""Named steps with `do` and `undo`, run in order; a failure undoes what was done, in reverse.

Every operation that changes the world (deploy, clone, update, ...) is a list of `Step`s run by
`run_steps` inside an `OperationContext` (see `operations.py`), which records each step's start,
output and end into the journal and publishes them to subscribers. A step's `undo` runs when that
step or a later one failed, so undos must be idempotent and check what actually exists (a step may
have failed half-way). Undo failures are recorded and do not stop the other undos.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from proximity_tui.errors import OperationCancelled, ProximityError
from proximity_tui.proxmox import write_ahead
from proximity_tui.services import events as ev

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext

StepFn = Callable[["OperationContext"], Awaitable[None]]
#: An undo returns a short description of what it cleaned up, or None when there was nothing.
UndoFn = Callable[["OperationContext"], Awaitable[str | None]]


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    do: StepFn
    undo: UndoFn | None = None
    #: Share of the whole operation's duration, for the overall progress bar.
    weight: float = 1.0


class StepFailed(ProximityError):
    """An operation failed at `step`; `undone` lists what the rollback cleaned up."""

    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"{step} failed: {describe(cause)}")
        self.step = step
        self.cause = cause
        self.undone: list[str] = []
        self.undo_errors: list[str] = []
        #: The operation's final status once it is finished: `rolled_back` when every change
        #: was put back (an update back on its rollback point), else `failed`.
        self.status = "failed"
        # Bad input found by a step (a hostname taken in the cluster) is still bad input.
        if isinstance(cause, ProximityError):
            self.exit_code = cause.exit_code

    @property
    def cancelled(self) -> bool:
        return isinstance(self.cause, OperationCancelled | asyncio.CancelledError)


def describe(exc: BaseException) -> str:
    """The real cause of an error in one line, for the journal and the user."""
    if isinstance(exc, asyncio.CancelledError | OperationCancelled):
        return str(exc) if isinstance(exc, OperationCancelled) else "cancelled"
    text = str(exc).strip() or type(exc).__name__
    if not isinstance(exc, ProximityError):
        text = f"{type(exc).__name__}: {text}"
    return text


async def run_steps(ctx: OperationContext, steps: Sequence[Step]) -> None:
    """Run the steps; on failure run the undos of every started step in reverse and raise
    `StepFailed`. Cancellation (the context's cancel event, or the task being cancelled) is a
    failure with the reason "cancelled"."""
    # Each step's start is written before it sends anything: by its first call (write_ahead).
    with write_ahead.written_first(ctx.ahead):
        await _run_steps(ctx, steps)


async def _run_steps(ctx: OperationContext, steps: Sequence[Step]) -> None:
    total = sum(s.weight for s in steps) or 1.0
    ctx.plan = [(s.name, s.title) for s in steps]
    done_weight = 0.0
    started: list[Step] = []
    for step in steps:
        started.append(step)
        t0 = time.monotonic()
        try:
            ctx.check_cancelled()
            await ctx.enter_step(step, done_weight / total, step.weight / total)
            await step.do(ctx)
            await ctx.settle()  # a step that sent nothing: its start is written at its end
            ctx.check_cancelled()
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            failure = StepFailed(step.name, exc)
            await ctx.step_failed(step, describe(exc), time.monotonic() - t0)
            await _rollback(ctx, started, failure)
            raise failure from exc
        done_weight += step.weight
        await ctx.step_finished(step, time.monotonic() - t0, done_weight / total)


async def _rollback(ctx: OperationContext, started: list[Step], failure: StepFailed) -> None:
    # Undos must run to the end even when the operation itself was cancelled: the cancellation
    # has been honoured, so they get a fresh event (a second cancel request can still stop them).
    ctx.cancel_event = asyncio.Event()
    for step in reversed(started):
        if step.undo is None:
            continue
        try:
            what = await asyncio.shield(step.undo(ctx))
        except BaseException as exc:  # noqa: BLE001 - recorded, the other undos still run
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            message = f"undo of {step.name} failed: {describe(exc)}"
            failure.undo_errors.append(message)
            await ctx.emit(ev.UNDO, message, step=step.name, level="error")
            continue
        if what:
            failure.undone.append(what)
            await ctx.emit(ev.UNDO, what, step=step.name)
    summary = "; ".join(failure.undone) if failure.undone else "nothing to clean up"
    await ctx.emit(ev.ROLLED_BACK, f"rolled back: {summary}", level="warning")
