"""Deploy form: editing any field keeps the form deployable once its values are valid."""

from __future__ import annotations

from textual.widgets import Input

from proximity_tui.app import make_app
from proximity_tui.screens.deploy_form import DeployFormScreen
from tests.ui.helpers import on_screen, wait_for


async def test_editing_an_environment_value_keeps_the_plan_and_deploys(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: pilot.app._loaded)
        app.open_deploy_form("grafana")
        form = await on_screen(pilot, DeployFormScreen)
        form.query_one("#hostname", Input).value = world.host(0)
        await wait_for(pilot, lambda: form.plan is not None and form.problems() == [])
        form.query_one("#env-ADMIN_USER", Input).focus()
        await pilot.press("ctrl+u", *"boss")
        assert form.query_one("#env-ADMIN_USER", Input).value == "boss"
        await wait_for(pilot, lambda: form.problems() == [])
        assert "working out the plan" not in str(form.query_one("#plan").render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, DeployFormScreen))
        await wait_for(pilot, lambda: services.apps.running_operations() == [], timeout=60)
        apps = await services.run(services.apps.list_apps())
        deployed = next(a for a in apps if a.hostname == world.host(0))
        assert deployed.status == "running"
        assert deployed.environment["ADMIN_USER"] == "boss"


async def test_keys_typed_in_one_burst_after_tab_land_in_the_next_field(world):
    """A laggy SSH link delivers `push<Tab><Tab>7` at once: the 7 belongs to the field that the
    second Tab focused, not to the hostname."""
    from textual import events

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: pilot.app._loaded)
        app.open_deploy_form("whoami")
        form = await on_screen(pilot, DeployFormScreen)
        await wait_for(pilot, lambda: form.nodes_loaded)
        hostname = form.query_one("#hostname", Input)
        hostname.value = ""
        await wait_for(pilot, lambda: hostname.has_focus and hostname.value == "")
        order = [w.id for w in form.focus_chain]
        target = order[order.index("hostname") + 2]
        before = form.query_one(f"#{target}").value if target == "cores" else None
        for key, char in [*((c, c) for c in "push"), ("tab", None), ("tab", None), ("7", "7")]:
            app.post_message(events.Key(key, char))  # no wait in between: one burst
        await wait_for(pilot, lambda: form.focused is not None and form.focused.id == target)
        await pilot.pause()
        assert hostname.value == "push"
        assert target == "cores"
        assert form.query_one("#cores", Input).value.endswith("7")
        assert form.query_one("#cores", Input).value != before
