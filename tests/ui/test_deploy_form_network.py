"""Deploy form: the per-deploy address override (address/CIDR, gateway, VLAN), as the CLI's
`--ip/--gw/--vlan`: checked as you type with the deploy's own rules, shown in the plan, refused
without starting anything while wrong, and carried to the container's net0 when right."""

from __future__ import annotations

from textual.widgets import Button, Input, Static

from proximity_tui.app import make_app
from proximity_tui.screens.deploy_form import DeployFormScreen
from tests.ui.helpers import on_screen, wait_for


def _problem(form) -> str:
    return str(form.query_one("#network-problem", Static).render())


async def _type(pilot, form, field: str, text: str) -> None:
    form.query_one(f"#{field}", Input).focus()
    await pilot.press("ctrl+u", *text)
    await wait_for(pilot, lambda: form.query_one(f"#{field}", Input).value == text)


async def _form(pilot, app, world) -> DeployFormScreen:
    """The whoami form, hostname set, with a plan and no problem."""
    await wait_for(pilot, lambda: pilot.app._loaded)
    app.open_deploy_form("whoami")
    form = await on_screen(pilot, DeployFormScreen)
    form.query_one("#hostname", Input).value = world.host(0)
    await wait_for(pilot, lambda: form.plan is not None and form.problems() == [])
    return form


async def test_bad_overrides_are_named_and_nothing_starts(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        form = await _form(pilot, app, world)
        assert "network DHCP on vmbr0" in str(form.query_one("#plan").render())
        assert _problem(form) == ""

        cases = [
            ("net-ip", "300.1.2.3/24", "address '300.1.2.3/24' is not an IPv4 address"),
            # [deploy] has no pool here: a bare address needs its prefix
            ("net-ip", "10.30.0.50", "give the prefix (10.30.0.50/24)"),
            ("net-ip", "10.30.0.50/24", "static addressing needs a gateway"),
        ]
        for field, text, expected in cases:
            await _type(pilot, form, field, text)
            await wait_for(pilot, lambda e=expected: e in _problem(form))
            assert form.query_one("#deploy", Button).disabled
            await pilot.press("ctrl+s")
            refused = str(form.query_one("#submit-problem").render())
            assert refused.startswith("✖ Cannot deploy:") and expected in refused

        await _type(pilot, form, "net-gw", "10.31.0.1")
        await wait_for(pilot, lambda: "gateway 10.31.0.1 is not in 10.30.0.0/24" in _problem(form))
        await _type(pilot, form, "net-ip", "")
        await wait_for(pilot, lambda: "is for a static address" in _problem(form))
        await _type(pilot, form, "net-gw", "")
        await _type(pilot, form, "net-vlan", "5000")
        await wait_for(pilot, lambda: "a VLAN tag is 1-4094" in _problem(form))
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, DeployFormScreen)
        assert await services.run(services.apps.operations()) == []  # nothing started


async def test_a_valid_override_is_planned_and_lands_in_net0(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        form = await _form(pilot, app, world)
        await _type(pilot, form, "net-ip", "10.30.0.50/24")
        await _type(pilot, form, "net-gw", "10.30.0.1")
        await _type(pilot, form, "net-vlan", "30")
        want = "network 10.30.0.50/24 via 10.30.0.1 on vmbr0, VLAN 30"
        await wait_for(pilot, lambda: want in str(form.query_one("#plan").render()))
        await wait_for(pilot, lambda: form.problems() == [])
        assert _problem(form) == ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, DeployFormScreen))
        await wait_for(pilot, lambda: services.apps.running_operations() == [], timeout=60)
        apps = await services.run(services.apps.list_apps())
        app_view = next(a for a in apps if a.hostname == world.host(0))
        assert app_view.status == "running"
        assert app_view.config["address"] == "10.30.0.50"
        assert app_view.config["network"]["vlan"] == 30
        net0 = world.sim.call(lambda: world.sim.state.find_ct(app_view.vmid).config["net0"])
        assert "ip=10.30.0.50/24" in net0 and "gw=10.30.0.1" in net0 and "tag=30" in net0
