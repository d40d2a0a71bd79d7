"""Update, clone, backup and restore of one app open the operation's progress screen, as a deploy
does: its steps from the operation's table, the live log, the result line (a failed update's says
it rolled back, and so does its toast), Escape leaves it running, the Operations list reopens it."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.screens.operations import OperationsScreen
from proximity_tui.services.operations.shape import titles
from proximity_tui.services.operations.update import _steps as update_table
from proximity_tui.widgets.follow_log import FollowLog
from proximity_tui.widgets.step_checklist import StepChecklist
from tests.ui.helpers import on_screen, said, table, wait_for

UPDATE_STEPS = titles(update_table(()))


def _toasts(app) -> list[str]:
    return [str(n.message) for n in said(app)]


def _result(progress) -> str:
    return str(progress.query_one("#result", Static).render())


async def _start_update(pilot, app):
    await on_screen(pilot, AppsScreen)
    await wait_for(pilot, lambda: table(app).row_count == 1)
    await pilot.press("U")
    await on_screen(pilot, ConfirmScreen)
    await pilot.press("enter")
    return await on_screen(pilot, DeployProgressScreen)


async def test_update_opens_its_progress_and_escape_leaves_it_running_to_reopen(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    gate = world.sim.faults.hold(command=r"compose .* pull")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        progress = await _start_update(pilot, app)
        assert progress.kind == "update" and progress.target == world.host(0)
        await wait_for(pilot, lambda: gate.arrived == 1)  # held in its pull step
        checklist = progress.query_one(StepChecklist)
        await wait_for(pilot, lambda: [(s.name, s.title) for s in checklist.steps] == UPDATE_STEPS)
        states = {s.name: s.state for s in checklist.steps}
        assert states["snapshot"] == "done" and states["pull"] == "running"
        assert states["cleanup"] == "pending"
        log = progress.query_one(FollowLog)
        await wait_for(pilot, lambda: any("rollback point" in line for line in log.lines))
        op_id = progress.op_id
        # Escape: back to the list, the update still running
        await pilot.press("escape")
        await on_screen(pilot, AppsScreen)
        assert op_id in services.apps.running_operations()
        # the Operations list reopens it, still live
        await pilot.press("3")
        ops = await on_screen(pilot, OperationsScreen)
        await wait_for(pilot, lambda: ops.query_one(DataTable).row_count >= 2)
        ops.query_one(DataTable).focus()
        await pilot.press("enter")
        again = await on_screen(pilot, DeployProgressScreen)
        assert again.op_id == op_id and again.status == "running"
        gate.open()
        await wait_for(pilot, lambda: again.status == "succeeded")
        assert again.query_one(StepChecklist).counts() == (5, 5)
        assert f"Update of {world.host(0)} succeeded" in _result(again)
        await wait_for(pilot, lambda: any(f"Updated {world.host(0)}" in t for t in _toasts(app)))


async def test_failed_update_says_it_rolled_back_on_screen_and_in_its_toast(world):
    from pvesim.faults import FaultRule

    services = world.services(1)
    app = make_app(services, services.settings)
    world.sim.faults.add(
        FaultRule(command=r"compose .* pull", exit_status=1, stderr="pull access denied", times=1)
    )
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        progress = await _start_update(pilot, app)
        await wait_for(pilot, lambda: progress.status != "running")
        assert progress.status == "rolled_back"
        result = _result(progress)
        assert "failed at step 'Pull the new images' — rolled back" in result
        assert "rolled CT" in result  # what the rollback did
        await wait_for(pilot, lambda: any("pull access denied" in t for t in _toasts(app)))
        toast = next(t for t in _toasts(app) if "pull access denied" in t)
        assert toast.startswith(f"Update {world.host(0)} failed and was rolled back")
        # reopened after the end, from the journal: every step of the table, the unreached too
        await pilot.press("escape")
        await on_screen(pilot, AppsScreen)
        app.open_progress(progress.op_id)
        again = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: again.status == "rolled_back")
        steps = again.query_one(StepChecklist).steps
        assert [(s.name, s.title) for s in steps] == UPDATE_STEPS
        assert "rolled back" in _result(again)


async def test_restore_from_the_detail_opens_its_progress_and_escape_returns_there(world):
    from textual.widgets import TabbedContent

    from proximity_tui.screens.app_detail import AppDetailScreen

    services = world.services(1)
    key = world.app_id(0)
    backup = services.call(services.apps.backup_app(key))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(key, tab="backups")
        detail = await on_screen(pilot, AppDetailScreen)
        assert detail.query_one(TabbedContent).active == "backups"
        backups = detail.query_one("#backups-table", DataTable)
        await wait_for(pilot, lambda: backups.row_count == 1)
        backups.focus()
        await pilot.press("ctrl+r")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        progress = await on_screen(pilot, DeployProgressScreen)
        assert progress.kind == "restore"
        await wait_for(pilot, lambda: progress.status == "succeeded")
        names = [s.name for s in progress.query_one(StepChecklist).steps]
        assert len(names) >= 2 and progress.query_one(StepChecklist).counts() == (
            len(names),
            len(names),
        )
        assert f"Restore of {world.host(0)} succeeded" in _result(progress)
        await wait_for(pilot, lambda: any(backup.volid in t for t in _toasts(app)))
        await pilot.press("escape")
        assert await on_screen(pilot, AppDetailScreen) is detail


async def test_cancelled_update_reads_cancelled_and_rolled_back_in_its_toast_too(world):
    from textual.widgets import Button

    from proximity_tui.screens.deploy_progress import CancelOperationConfirm

    services = world.services(1)
    app = make_app(services, services.settings)
    gate = world.sim.faults.hold(command=r"compose .* pull")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        progress = await _start_update(pilot, app)
        await wait_for(pilot, lambda: gate.arrived == 1)  # held in its pull step
        await pilot.press("ctrl+c")
        confirm = await on_screen(pilot, CancelOperationConfirm)
        assert {str(b.label) for b in confirm.query(Button)} == {
            "Keep updating",
            "Cancel the update",
        }
        confirm.query_one("#confirm", Button).press()
        await wait_for(pilot, lambda: progress.status != "running")
        gate.open()  # the abandoned pull may end now
        assert progress.status == "rolled_back"
        result = _result(progress)
        assert result.startswith(f"↺ Update of {world.host(0)} cancelled at step")
        assert "rolled back" in result
        cancelled = f"Update {world.host(0)} cancelled and rolled back (nothing changed)"
        await wait_for(pilot, lambda: cancelled in _toasts(app))
