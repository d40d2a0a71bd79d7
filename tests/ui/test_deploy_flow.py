"""Deploying from the catalog: the form, the live progress, the result in the apps list."""

from __future__ import annotations

from textual.widgets import Input, Log

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.deploy_form import DeployFormScreen, hostname_problem
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.widgets.filter_input import FilterInput
from proximity_tui.widgets.step_checklist import StepChecklist
from tests.ui.helpers import cell, on_screen, wait_for


async def _open_form(pilot, entry_name: str, *, typed: bool = False) -> DeployFormScreen:
    """From the catalog: `/`, the name (typed key by key, or set at once), Enter, `d`."""
    screen = await on_screen(pilot, CatalogScreen)
    if typed:
        await pilot.press("slash", *entry_name.lower(), "enter")
    else:
        await pilot.press("slash")
        screen.query_one(FilterInput).value = entry_name.lower()
        await pilot.press("enter")
    assert screen.selected_entry().name == entry_name
    await pilot.press("d")
    form = await on_screen(pilot, DeployFormScreen)
    await wait_for(pilot, lambda: form.plan is not None and form.hostname_error is None)
    return form


async def _slow_deploy(pilot, world, delay: float) -> DeployProgressScreen:
    """Deploy whoami as host 0 from the form, its Docker install answering `delay` s late (the
    deploy stays busy meanwhile); returns the progress screen."""
    from pvesim.faults import FaultRule

    form = await _open_form(pilot, "whoami")
    form.query_one("#hostname", Input).value = world.host(0)
    await wait_for(pilot, lambda: form.plan and form.plan.hostname == world.host(0))
    world.sim.faults.add(FaultRule(command=r"apk add", delay=delay))
    await pilot.press("enter")
    return await on_screen(pilot, DeployProgressScreen)


async def test_deploy_from_catalog_to_running_app(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _open_form(pilot, "whoami", typed=True)
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
        await wait_for(pilot, lambda: any(progress.url in n.message for n in app._notifications))
        await pilot.press("escape", "2")
        apps = await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: world.app_id(0) in apps._shown)
        assert "running" in cell(app, world.app_id(0), "status")


async def test_hostname_is_checked_as_you_type(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.press("1")
        form = await _open_form(pilot, "whoami")
        hostname = form.query_one("#hostname", Input)
        hostname.value = world.host(0)  # taken by an existing app
        await wait_for(pilot, lambda: form.hostname_error not in (None, "checking…"))
        assert world.host(0) in form.hostname_error
        assert form.query_one("#deploy").disabled
        hostname.value = "Bad_Name"
        await wait_for(pilot, lambda: form.hostname_error == hostname_problem("Bad_Name"))
        await pilot.press("escape")  # cancel: nothing deployed
        assert not isinstance(app.screen, DeployFormScreen)
        kinds = [op.kind for op in services.call(services.apps.operations())]
        assert kinds == ["deploy"]  # only the one the test set up


async def test_form_masks_secrets_and_enforces_minimums(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _open_form(pilot, "Gitea")
        secret = form.query_one("#env-DB_PASSWORD", Input)
        assert secret.password and len(secret.value) >= 16  # generated, masked
        await pilot.press("ctrl+r")
        assert not secret.password
        assert form.query_one("#hostname", Input).value == "gitea"
        assert form.plan is not None and form.plan.steps
        form.query_one("#memory", Input).value = "1"
        await pilot.pause()
        assert any("memory must be at least" in p for p in form.problems())
        assert form.query_one("#deploy").disabled


async def test_failed_deploy_shows_step_and_cleanup_and_list_stays_clean(world):
    from pvesim.faults import FaultRule

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        form = await _open_form(pilot, "whoami")
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
        assert any("Deploy failed" in (n.title or "") for n in app._notifications)
        await pilot.press("escape", "2")
        apps = await on_screen(pilot, AppsScreen)
        assert apps._shown == {}


async def test_progress_survives_escape_and_reopens(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        progress = await _slow_deploy(pilot, world, 2.0)
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
        progress = await _slow_deploy(pilot, world, 2.0)
        await wait_for(pilot, lambda: progress.query_one(StepChecklist).counts()[0] >= 3)
        await pilot.press("ctrl+c")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: progress.status != "running", timeout=30)
        assert progress.status in ("rolled_back", "failed", "cancelled")
        assert "cancel" in (progress.error or "").lower()
        assert world.app_id(0) not in {a.id for a in services.call(services.apps.list_apps())}
