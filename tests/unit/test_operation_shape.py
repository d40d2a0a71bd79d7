"""The operation shape: step tables bound to a run, and how a spec's run ends in the journal
(a real SQLite journal; the steps are plain functions, no Proxmox needed)."""

from __future__ import annotations

import asyncio

import pytest

from proximity_tui.errors import ProximityError
from proximity_tui.services import events as ev
from proximity_tui.services.journal import Journal
from proximity_tui.services.operations.context import Operations
from proximity_tui.services.operations.pipeline import StepFailed
from proximity_tui.services.operations.shape import OperationSpec, StepDef, bind, run_spec
from proximity_tui.store.db import Database

DEPS = object()  # bind passes it through untouched; these steps use none of it


@pytest.fixture
def journal(tmp_path):
    db = Database.open(tmp_path / "proximity.db")
    yield Journal(db)
    db.close()


def test_bind_hands_each_step_the_deps_the_job_and_the_context():
    seen = []

    async def do(deps, job, ctx):
        seen.append(("do", deps, job, ctx))

    async def undo(deps, job, ctx):
        seen.append(("undo", deps, job, ctx))
        return "undone"

    table = (
        StepDef("first", lambda job: f"Work on {job}", do, undo, weight=2),
        StepDef("second", "Plain title", do),
    )
    steps = bind(table, DEPS, "web1")
    assert [(s.name, s.title, s.weight) for s in steps] == [
        ("first", "Work on web1", 2),
        ("second", "Plain title", 1.0),
    ]
    assert steps[1].undo is None
    assert asyncio.run(steps[0].undo("ctx")) == "undone"
    asyncio.run(steps[1].do("ctx"))
    assert seen == [("undo", DEPS, "web1", "ctx"), ("do", DEPS, "web1", "ctx")]


def _run(journal: Journal, table, *, on_failure=None, cancel_in: str | None = None, secret=""):
    """Run `table` as an operation; returns (journal record, the raised failure or None)."""

    async def main():
        ops = Operations(journal, ev.Hub())
        ctx = await ops.begin("update", user_id=None, app_id="a", hostname="a", secrets=[secret])
        spec = OperationSpec(
            "update", "a", "a", bind(table, DEPS, "a"), "all done", on_failure=on_failure
        )
        if cancel_in:
            ctx.state["cancel_in"] = cancel_in
        try:
            await run_spec(ctx, spec, journal.mask)
        except StepFailed as failure:
            return journal.get(ctx.op_id), failure
        return journal.get(ctx.op_id), None

    return asyncio.run(main())


async def _ok(deps, job, ctx):
    if ctx.state.get("cancel_in") == "ok":
        ctx.cancel("stopped by the user")


async def _undo_ok(deps, job, ctx):
    return "cleaned"


async def _boom(deps, job, ctx):
    raise ProximityError("pull failed: token hunter2 refused")


async def _undo_boom(deps, job, ctx):
    raise ProximityError("could not clean")


def test_success_ends_succeeded_with_the_specs_message(journal):
    record, failure = _run(journal, (StepDef("one", "One", _ok, _undo_ok),))
    assert failure is None
    assert record.status == "succeeded" and record.error is None
    assert (record.events[-1].kind, record.events[-1].message) == ("finished", "all done")


def test_a_failure_is_masked_and_on_failure_chooses_the_status(journal):
    seen = []

    async def on_failure(ctx, failure):
        seen.append((ctx.op_id, failure.step))
        return "rolled_back"

    table = (StepDef("one", "One", _ok, _undo_ok), StepDef("two", "Two", _boom))
    record, failure = _run(journal, table, on_failure=on_failure, secret="hunter2")
    assert failure is not None and "hunter2" not in str(failure)
    assert seen == [(record.id, "two")]
    assert record.status == "rolled_back"
    assert record.result["failed_step"] == "two" and record.result["undone"] == ["cleaned"]


def test_without_on_failure_a_failure_ends_failed(journal):
    record, failure = _run(journal, (StepDef("one", "One", _boom),))
    assert failure is not None and record.status == "failed"


def test_a_cancellation_whose_undos_ran_is_rolled_back_else_failed(journal):
    clean = (StepDef("one", "One", _ok, _undo_ok), StepDef("two", "Two", _ok))
    record, failure = _run(journal, clean, cancel_in="ok")
    assert failure is not None and failure.cancelled
    assert record.status == "rolled_back" and "stopped by the user" in record.error

    dirty = (StepDef("one", "One", _ok, _undo_boom), StepDef("two", "Two", _ok))
    record, failure = _run(journal, dirty, cancel_in="ok")
    assert record.status == "failed" and record.result["undo_errors"]
