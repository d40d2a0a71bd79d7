"""The deploy form: the hostname checked as you type (a free one proposed, reserved and taken
names refused, only the current one named), secrets masked, every resource problem shown with its
unit, the node list's loading state, and a layout that fills 80 columns."""

from __future__ import annotations

import asyncio
import threading

from textual.widgets import Input, Label, Select

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.deploy_form import LOADING, DeployFormScreen, hostname_problem
from tests.ui.helpers import on_screen, open_form, wait_for


async def _form(pilot, catalog_id: str, *, ready: bool = True) -> DeployFormScreen:
    await wait_for(pilot, lambda: pilot.app._loaded)  # on the Apps or the Catalog
    pilot.app.open_deploy_form(catalog_id)
    form = await on_screen(pilot, DeployFormScreen)
    if ready:
        await wait_for(pilot, lambda: form.plan is not None and form.nodes_loaded)
    return form


async def test_hostname_is_checked_as_you_type(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.press("1")
        form = await open_form(pilot, "whoami")
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
        form = await open_form(pilot, "Gitea")
        secret = form.query_one("#env-DB_PASSWORD", Input)
        assert secret.password and len(secret.value) >= 16  # generated, masked
        await pilot.press("ctrl+t")  # the reveal key of App detail too
        assert not secret.password
        assert form.query_one("#hostname", Input).value == "gitea"
        assert form.plan is not None and form.plan.steps
        form.query_one("#memory", Input).value = "1"
        await pilot.pause()
        assert any("memory must be at least" in p for p in form.problems())
        assert form.query_one("#deploy").disabled


async def test_node_select_has_no_loading_option_once_loaded_and_blocks_while_loading(world):
    services = world.services(0)
    original = services.apps.nodes
    release = threading.Event()  # set from the test, read on the service loop

    async def slow_nodes():
        while not release.is_set():
            await asyncio.sleep(0.02)
        return await original()

    services.apps.nodes = slow_nodes
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        form = await _form(pilot, "whoami", ready=False)
        form.query_one("#hostname", Input).value = world.host(0)
        await wait_for(pilot, lambda: form._checked_hostname == world.host(0))
        assert "the node list is still loading" in form.problems()
        form.action_deploy()
        await pilot.pause()  # whatever it set off has been handled
        assert isinstance(app.screen, DeployFormScreen)  # not submitted
        assert services.apps.running_operations() == []
        release.set()
        await wait_for(pilot, lambda: form.nodes_loaded and form.plan is not None)
        select = form.query_one("#node", Select)
        values = [value for _, value in select._options]
        assert LOADING not in values and "loading nodes…" not in str(select._options)
        assert values and all(v in {n.name for n in form.nodes} for v in values)
        assert form._node() == select.value
        assert form.problems() == []


async def test_cannot_deploy_names_only_the_current_hostname(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        form = await _form(pilot, "whoami")
        field = form.query_one("#hostname", Input)
        field.value = world.host(0)  # taken
        await wait_for(pilot, lambda: form._checked_hostname == world.host(0))
        form.query_one("#memory", Input).value = "129"  # plans again, for the taken name
        await wait_for(pilot, lambda: form.plan is not None and form.plan.hostname == world.host(0))
        assert any(world.host(0) in p for p in form.plan.problems)
        field.value = world.host(1)  # taken too; the old plan named host(0)
        await pilot.pause()
        assert not any(world.host(0) in p for p in form.problems())
        await wait_for(pilot, lambda: form._checked_hostname == world.host(1))
        await pilot.press("ctrl+s")
        refused = form.query_one("#submit-problem")
        message = str(refused.render())
        assert refused.display and message.startswith("✖ Cannot deploy")
        assert world.host(1) in message and world.host(0) not in message
        assert "hostname: hostname" not in message
        field.value = world.host(2)  # the refusal described the old value: it goes
        await pilot.pause()
        assert not refused.display and str(refused.render()) == ""


async def test_prefills_a_free_hostname(world):
    services = world.services(0)
    services.call(services.apps.deploy_app("ntfy", "ntfy"))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _form(pilot, "ntfy")
        await wait_for(pilot, lambda: form.query_one("#hostname", Input).value == "ntfy-2")
        await wait_for(pilot, lambda: form._checked_hostname == "ntfy-2")
        assert form.hostname_error is None
        await wait_for(pilot, lambda: form.problems() == [])


async def test_every_resource_problem_is_shown_as_you_type(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _form(pilot, "whoami")
        for name, value in (("cores", "0"), ("memory", "1"), ("disk", "0")):
            form.query_one(f"#{name}", Input).value = value
        await pilot.pause()
        shown = str(form.query_one("#resource-problem").render())
        for name in ("cores", "memory", "disk"):
            assert f"{name} must be at least" in shown
        form.query_one("#cores", Input).value = "1"
        form.query_one("#disk", Input).value = "4"
        form.query_one("#memory", Input).value = "999999"
        await pilot.pause()  # no plan needed: the select knows every node's free memory
        shown = str(form.query_one("#resource-problem").render())
        assert "more than any node has free" in shown and "must be at least" not in shown
        assert form.query_one("#deploy").disabled
        units = [str(label.render()) for label in form.query(".unit").results(Label)]
        assert units == ["cores", "MB", "GB"]


async def test_localhost_is_refused(world):
    assert hostname_problem("localhost") is not None
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _form(pilot, "whoami")
        form.query_one("#hostname", Input).value = "localhost"
        await wait_for(pilot, lambda: form._checked_hostname == "localhost")
        assert form.hostname_error and "localhost" in form.hostname_error
        assert form.query_one("#deploy").disabled


async def test_form_fills_80_columns_so_one_scrollbar_shows(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _form(pilot, "whoami")
        dialog = form.query_one("#deploy-form")
        assert dialog.outer_size.width == 80  # the screen below (and its scrollbar) is hidden
        body = form.query_one("#form-body")
        assert body.styles.scrollbar_size_vertical == 1
