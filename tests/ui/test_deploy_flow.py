"""Deploying from the catalog: the form, the live progress, the result in the apps list."""

from __future__ import annotations

from textual.widgets import Input, Log

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.deploy_form import DeployFormScreen, hostname_problem
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.widgets.step_checklist import StepChecklist
from tests.ui.helpers import cell, on_screen, wait_for


async def _open_form(pilot, entry_name: str) -> DeployFormScreen:
    screen = await on_screen(pilot, CatalogScreen)
    await pilot.press("slash", *entry_name.lower(), "enter")
    assert screen.selected_entry().name == entry_name
    await pilot.press("d")
    form = await on_screen(pilot, DeployFormScreen)
    await wait_for(pilot, lambda: form.plan is not None and form.hostname_error is None)
    return form


async def test_deploy_from_catalog_to_running_app(make_services, settings):
    services = make_services(0)
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _open_form(pilot, "Gitea")
        # the generated secret is masked until revealed
        secret = form.query_one("#env-DB_PASSWORD", Input)
        assert secret.password and len(secret.value) >= 16
        await pilot.press("ctrl+r")
        assert not secret.password
        hostname = form.query_one("#hostname", Input)
        assert hostname.value == "gitea"
        await pilot.press("enter")
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status == "succeeded")
        steps = progress.query_one(StepChecklist).steps
        assert steps and all(s.state == "done" for s in steps)
        assert "Compose up: working" in "\n".join(progress.query_one(Log).lines)
        await pilot.press("escape", "2")
        apps = await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: "gitea-gitea" in apps._shown)
        assert "running" in cell(app, "gitea-gitea", "status")


async def test_hostname_is_checked_as_you_type(make_services, settings):
    services = make_services(2)
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.press("1")
        form = await _open_form(pilot, "whoami")
        hostname = form.query_one("#hostname", Input)
        hostname.value = "web1"  # taken by an existing app
        await wait_for(pilot, lambda: form.hostname_error not in (None, "checking…"))
        assert "taken" in form.hostname_error
        assert form.query_one("#deploy").disabled
        hostname.value = "Bad_Name"
        await wait_for(pilot, lambda: form.hostname_error == hostname_problem("Bad_Name"))
        await pilot.press("escape")  # cancel: nothing deployed
        assert not isinstance(app.screen, DeployFormScreen)
        assert services.apps.ops == {}


async def test_memory_below_minimum_blocks_deploy(make_services, settings):
    app = make_app(make_services(0), settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _open_form(pilot, "Gitea")
        form.query_one("#memory", Input).value = "1"
        await pilot.pause()
        assert any("memory must be at least" in p for p in form.problems())
        assert form.query_one("#deploy").disabled


async def test_failed_deploy_shows_step_and_cleanup_and_list_stays_clean(make_services, settings):
    services = make_services(0)
    services.apps.fail_step = "compose"
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _open_form(pilot, "whoami")
        await pilot.press("enter")
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status != "running")
        assert progress.status == "rolled_back"
        assert progress.failed_step == "compose"
        result = str(progress.query_one("#result").render())
        assert "at step 'compose'" in result and "simulated failure" in result
        assert "Cleaned up" in result
        states = {s.name: s.state for s in progress.query_one(StepChecklist).steps}
        assert states["compose"] == "failed" and states["create"] == "rolled_back"
        assert any("Deploy failed" in (n.title or "") for n in app._notifications)
        await pilot.press("escape", "2")
        apps = await on_screen(pilot, AppsScreen)
        assert apps._shown == {}


async def test_progress_survives_escape_and_reopens(make_services, settings):
    services = make_services(0)
    services.apps.step_delay = 0.15
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_form(pilot, "whoami")
        await pilot.press("enter")
        progress = await on_screen(pilot, DeployProgressScreen)
        op_id = progress.op_id
        await pilot.press("escape")  # leave while it runs
        assert op_id in services.apps.running_operations()
        app.open_progress(op_id)  # reopen from the live events
        again = await on_screen(pilot, DeployProgressScreen)
        assert again is not progress
        await wait_for(pilot, lambda: again.status == "succeeded")
        assert all(s.state == "done" for s in again.query_one(StepChecklist).steps)
