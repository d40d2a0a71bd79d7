"""`run_steps` on its own: steps in order, undos in reverse on failure, cancellation (by the
context or the task), undo errors that do not stop the other undos, and the events each step
publishes. Plain asyncio with a real journal on a SQLite file; no simulator."""

from __future__ import annotations

import asyncio

import pytest

from proximity_tui.errors import OperationCancelled, ValidationError
from proximity_tui.services import events as ev
from proximity_tui.services.journal import Journal
from proximity_tui.services.operations.context import Operations
from proximity_tui.services.operations.pipeline import Step, StepFailed, run_steps
from proximity_tui.store.db import Database


class Run:
    """An operation context on a real journal, the events it publishes, and what steps did."""

    def __init__(self, db: Database) -> None:
        self.journal = Journal(db)
        self.hub: ev.Hub[ev.OperationEvent] = ev.Hub()
        self.events: list[ev.OperationEvent] = []
        self.hub.subscribe(self.events.append)
        self.calls: list[str] = []

    async def begin(self):
        return await Operations(self.journal, self.hub).begin("test", user_id=None, hostname="h")

    def step(self, name: str, *, fail: BaseException | None = None, undo: object = "undone"):
        """A step that records `do <name>` (then raises `fail`), with an undo that records
        `undo <name>` and returns `undo` ("<name> undone"), raises it if it is an exception, or
        is absent when `undo` is None."""

        async def do(ctx) -> None:
            self.calls.append(f"do {name}")
            if fail is not None:
                raise fail

        async def undo_fn(ctx) -> str | None:
            self.calls.append(f"undo {name}")
            if isinstance(undo, BaseException):
                raise undo
            return f"{name} {undo}" if undo else None

        return Step(name, name.title(), do, None if undo is None else undo_fn)

    def kinds(self, step: str | None = None) -> list[str]:
        return [e.kind for e in self.events if step is None or e.step == step]


@pytest.fixture
def run(tmp_path):
    db = Database.open(tmp_path / "proximity.db")
    yield Run(db)
    db.close()


async def test_steps_run_in_order_and_report_each_one(run):
    ctx = await run.begin()
    steps = [run.step("a"), run.step("b"), run.step("c")]
    await run_steps(ctx, steps)
    assert run.calls == ["do a", "do b", "do c"]  # no undo on success
    assert ctx.plan == [("a", "A"), ("b", "B"), ("c", "C")]
    assert run.kinds() == [ev.STARTED] + [ev.STEP_STARTED, ev.STEP_FINISHED] * 3
    finished = [e for e in run.events if e.kind == ev.STEP_FINISHED]
    assert [round(e.progress, 3) for e in finished] == [0.333, 0.667, 1.0]
    assert all(e.duration is not None and e.duration >= 0 for e in finished)
    await ctx.flush()  # and the journal holds the same events
    stored = [(e.kind, e.step) for e in run.journal.get(ctx.op_id).events]
    assert stored == [(e.kind, e.step) for e in run.events]


async def test_a_failure_undoes_every_started_step_in_reverse(run):
    ctx = await run.begin()
    boom = RuntimeError("disk full")
    steps = [run.step("a"), run.step("b", undo=None), run.step("c", fail=boom), run.step("d")]
    with pytest.raises(StepFailed) as failed:
        await run_steps(ctx, steps)
    # c failed half-way: its own undo runs too; b has none; d never started
    assert run.calls == ["do a", "do b", "do c", "undo c", "undo a"]
    error = failed.value
    assert error.step == "c" and error.cause is boom and error.__cause__ is boom
    assert str(error) == "c failed: RuntimeError: disk full"
    assert error.undone == ["c undone", "a undone"] and error.undo_errors == []
    assert not error.cancelled
    assert run.kinds("c") == [ev.STEP_STARTED, ev.STEP_FAILED, ev.UNDO, ev.ROLLED_BACK]
    assert run.kinds("d") == []
    failed_event = next(e for e in run.events if e.kind == ev.STEP_FAILED)
    assert failed_event.message == "RuntimeError: disk full" and failed_event.level == "error"
    rolled = run.events[-1]
    assert rolled.kind == ev.ROLLED_BACK
    assert rolled.message == "rolled back: c undone; a undone" and rolled.level == "warning"


async def test_an_undo_that_fails_is_recorded_and_the_other_undos_still_run(run):
    ctx = await run.begin()
    steps = [
        run.step("a"),
        run.step("b", undo=OSError("lock held")),
        run.step("c", undo=""),  # nothing to clean up: no UNDO event for it
        run.step("d", fail=ValueError("bad")),
    ]
    with pytest.raises(StepFailed) as failed:
        await run_steps(ctx, steps)
    assert run.calls[-4:] == ["undo d", "undo c", "undo b", "undo a"]
    assert failed.value.undone == ["d undone", "a undone"]
    assert failed.value.undo_errors == ["undo of b failed: OSError: lock held"]
    undo_events = [(e.step, e.level) for e in run.events if e.kind == ev.UNDO]
    assert undo_events == [("d", "info"), ("b", "error"), ("a", "info")]


async def test_nothing_to_undo_says_so(run):
    ctx = await run.begin()
    with pytest.raises(StepFailed) as failed:
        await run_steps(ctx, [run.step("a", undo=None, fail=RuntimeError("x"))])
    assert failed.value.undone == []
    assert run.events[-1].message == "rolled back: nothing to clean up"


async def test_bad_input_found_by_a_step_keeps_its_exit_code(run):
    ctx = await run.begin()
    with pytest.raises(StepFailed) as failed:
        await run_steps(ctx, [run.step("a", fail=ValidationError("hostname taken"))])
    assert failed.value.exit_code == ValidationError.exit_code == 2
    assert str(failed.value) == "a failed: hostname taken"  # our own errors need no type name


async def test_cancel_during_a_step_stops_after_it_and_rolls_back(run):
    ctx = await run.begin()

    async def cancels(c) -> None:
        run.calls.append("do b")
        c.cancel("cancelled by the user")  # on this loop: takes effect when the step returns

    steps = [run.step("a"), Step("b", "B", cancels, run.step("b").undo), run.step("c")]
    with pytest.raises(StepFailed) as failed:
        await run_steps(ctx, steps)
    assert run.calls == ["do a", "do b", "undo b", "undo a"]  # c never starts
    assert failed.value.cancelled and failed.value.step == "b"
    assert isinstance(failed.value.cause, OperationCancelled)
    assert str(failed.value) == "b failed: cancelled by the user"
    # the undos ran with a fresh cancel event: the honoured cancellation did not stop them
    assert not ctx.cancel_event.is_set()


async def test_cancelled_before_the_first_step_runs_nothing(run):
    ctx = await run.begin()
    ctx.cancel()
    with pytest.raises(StepFailed) as failed:
        await run_steps(ctx, [run.step("a"), run.step("b")])
    assert run.calls == ["undo a"]  # a counts as started: its undo checks what exists
    assert failed.value.cancelled and failed.value.step == "a"
    assert run.kinds("a") == [ev.STEP_FAILED, ev.UNDO]  # it never announced a start


async def test_the_task_cancelled_mid_step_still_runs_the_undos(run):
    ctx = await run.begin()
    entered = asyncio.Event()

    async def hangs(c) -> None:
        run.calls.append("do b")
        entered.set()
        await asyncio.Event().wait()  # until cancelled

    async def slow_undo(c) -> str:
        await asyncio.sleep(0)  # undos await too: the cancellation was delivered once, not again
        run.calls.append("undo b")
        return "b undone"

    task = asyncio.create_task(run_steps(ctx, [run.step("a"), Step("b", "B", hangs, slow_undo)]))
    await entered.wait()
    task.cancel()
    with pytest.raises(StepFailed) as failed:
        await task
    assert run.calls == ["do a", "do b", "undo b", "undo a"]
    assert failed.value.cancelled and isinstance(failed.value.cause, asyncio.CancelledError)
    assert str(failed.value) == "b failed: cancelled"
    assert failed.value.undone == ["b undone", "a undone"]
