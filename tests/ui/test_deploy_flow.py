"""Deploying from the catalog: the form, the live progress, the result in the apps list; a failed
deploy cleaned up, a deploy left and reopened, a deploy cancelled."""

from __future__ import annotations

from textual.widgets import Input, Log

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.widgets.step_checklist import StepChecklist
from tests.ui.helpers import cell, held_deploy, on_screen, open_form, said, wait_for


async def test_deploy_from_catalog_to_running_app(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "whoami", typed=True)
        hostname = world.host(0)
        form.query_one("#hostname", Input).value = hostname
        await wait_for(pilot, lambda: form._checked_hostname == hostname and form.plan)
        await wait_for(pilot, lambda: form.plan.hostname == hostname)
        await pilot.press("enter")
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status == "succeeded", timeout=30)
        steps = progress.query_one(StepChecklist).steps
        assert len(steps) >= 10 and all(s.state == "done" for s in steps)
        assert progress.query_one(Log).lines  # task and command output
        await wait_for(pilot, lambda: progress.url is not None)
        assert progress.url.startswith("http://")
        # The "deploy finished" notification offers the URL too (read off the FINISHED event).
        await wait_for(pilot, lambda: any(progress.url in n.message for n in said(app)))
        await pilot.press("escape", "2")
        apps = await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: world.app_id(0) in apps._shown)
        assert "running" in cell(app, world.app_id(0), "status")


async def test_failed_deploy_shows_step_and_cleanup_and_list_stays_clean(world):
    from pvesim.faults import FaultRule

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        form = await open_form(pilot, "whoami")
        form.query_one("#hostname", Input).value = world.host(0)
        await wait_for(pilot, lambda: form.plan and form.plan.hostname == world.host(0))
        world.sim.faults.add(
            FaultRule(command=r"compose .* pull", exit_status=18, stderr="manifest unknown")
        )
        await pilot.press("enter")
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status != "running", timeout=30)
        assert progress.status in ("failed", "rolled_back")
        assert progress.failed_step == "compose"
        result = str(progress.query_one("#result").render())
        assert "at step 'Pull and start the app'" in result and "manifest unknown" in result
        assert "Cleaned up" in result
        states = {s.name: s.state for s in progress.query_one(StepChecklist).steps}
        assert states["compose"] == "failed" and states["create"] == "rolled_back"
        assert states["health"] == "pending"
        assert any("Deploy failed" in (n.title or "") for n in said(app))
        await pilot.press("escape", "2")
        apps = await on_screen(pilot, AppsScreen)
        assert apps._shown == {}


async def test_progress_survives_escape_and_reopens(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        progress, gate = await held_deploy(pilot, world)
        op_id = progress.op_id
        await pilot.press("escape")  # leave while it runs
        assert op_id in services.apps.running_operations()
        await pilot.press("2")  # the deploying app is listed; Enter reopens its progress
        apps = await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: world.app_id(0) in apps._shown)
        assert any(w in cell(app, world.app_id(0), "status") for w in ("deploying", "…"))
        await pilot.press("enter")
        again = await on_screen(pilot, DeployProgressScreen)
        assert again.op_id == op_id
        assert again is not progress
        await wait_for(pilot, lambda: gate.arrived == 1)  # it reaches its Docker step, held
        assert again.status == "running" and gate.holding == 1
        gate.open()
        await wait_for(pilot, lambda: again.status == "succeeded", timeout=30)
        assert all(s.state == "done" for s in again.query_one(StepChecklist).steps)
        await pilot.press("escape")
        app.open_progress(op_id)  # and once finished, from the journal
        journal = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: journal.status == "succeeded", timeout=30)
        assert all(s.state == "done" for s in journal.query_one(StepChecklist).steps)


async def test_ctrl_c_cancels_a_running_deploy_after_confirmation(world):
    from proximity_tui.screens.confirm import ConfirmScreen

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        progress, gate = await held_deploy(pilot, world)
        await wait_for(pilot, lambda: gate.arrived == 1)  # held in its Docker step
        await pilot.press("ctrl+c")
        confirm = await on_screen(pilot, ConfirmScreen)
        assert confirm.focused is not None and confirm.focused.id == "cancel"  # "Keep deploying"
        await pilot.press("y")
        await wait_for(pilot, lambda: progress.status != "running", timeout=30)
        assert gate.passed == 0  # cancelled while held: the install never ran
        assert progress.status in ("rolled_back", "failed", "cancelled")
        states = {s.name: s.state for s in progress.query_one(StepChecklist).steps}
        assert states["docker"] != "done" and states["create"] == "rolled_back"
        assert "cancel" in (progress.error or "").lower()
        assert world.app_id(0) not in {a.id for a in services.call(services.apps.list_apps())}
