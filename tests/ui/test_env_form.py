"""App detail of an adopted app: "2 values unknown", `e` opens the form, one value typed (masked,
a secret), one generated; the CT's .env and the database get them in one operation, and no
value is shown anywhere. A viewer is offered nothing."""

from __future__ import annotations

from textual.widgets import Input, Switch

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.env_form import EnvFormScreen
from proximity_tui.store import repositories as repo
from tests.integration.services.conftest import inside
from tests.ui.helpers import on_screen, said, wait_for


def _adopted_vaultwarden(world):
    """A vaultwarden whose row was lost and adopted again: its values are unknown here."""
    services = world.services()
    hostname = f"{world.prefix}vw"
    app = services.call(services.apps.deploy_app("vaultwarden", hostname))
    with services.db.session() as s:
        repo.delete_app(s, app.id)
    plan = services.call(services.apps.plan_adoption(vmids=(app.vmid,)))
    assert services.call(services.apps.adopt(plan))["adopted"] == [app.id]
    services.call(services.monitor.tick())
    return services, services.call(services.apps.get_app(app.id))


def _row(services, app_id):
    with services.db.session(readonly=True) as s:
        found = repo.get_app(s, app_id)
        return dict(found.environment), list(found.config["environment_unknown"])


async def test_unknown_values_are_entered_and_generated_from_the_detail(world):
    services, view = _adopted_vaultwarden(world)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        app.push_screen(AppDetailScreen(view.id))
        detail = await on_screen(pilot, AppDetailScreen)
        summary = lambda: str(detail.query_one("#summary").render())  # noqa: E731
        await wait_for(pilot, lambda: "2 values unknown" in summary())
        await wait_for(pilot, lambda: detail.check_action("env", ()) is True)
        await pilot.press("e")
        form = await on_screen(pilot, EnvFormScreen)
        names = [v.name for v in form.unknown]
        assert names == ["ADMIN_TOKEN", "SIGNUPS_ALLOWED"]
        token = form.query_one(f"#value-{names.index('ADMIN_TOKEN')}", Input)
        assert token.password  # a secret is typed masked
        signups = form.query_one(f"#value-{names.index('SIGNUPS_ALLOWED')}", Input)
        assert not form.query(f"#generate-{names.index('SIGNUPS_ALLOWED')}")  # not generated
        form.query_one(f"#generate-{names.index('ADMIN_TOKEN')}", Switch).value = True
        await wait_for(pilot, lambda: token.disabled)
        signups.focus()
        await pilot.press(*"false")
        await pilot.click("#save")
        await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: _row(services, view.id)[1] == [], timeout=30)
        env, _ = _row(services, view.id)
        assert env["SIGNUPS_ALLOWED"] == "false" and len(env["ADMIN_TOKEN"]) == 48
        await wait_for(pilot, lambda: "unknown" not in summary())
        await wait_for(pilot, lambda: detail.check_action("env", ()) is False)
        shown = [n.message for n in said(app)]
        assert any("set ADMIN_TOKEN, SIGNUPS_ALLOWED" in m for m in shown)
        assert not any(env["ADMIN_TOKEN"] in m for m in shown)
    text = inside(world.sim, view.vmid).read_file(f"/opt/proximity/{view.hostname}/.env")
    assert f"ADMIN_TOKEN='{env['ADMIN_TOKEN']}'".encode() in text


async def test_an_empty_form_and_a_viewer_change_nothing(world):
    services, view = _adopted_vaultwarden(world)
    before = _row(services, view.id)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        app.push_screen(AppDetailScreen(view.id))
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: detail.check_action("env", ()) is True)
        await pilot.press("e")
        await on_screen(pilot, EnvFormScreen)
        await pilot.click("#save")  # nothing typed: said, and the form stays
        await wait_for(pilot, lambda: any("Nothing entered" in n.message
                                          for n in said(app)))  # fmt: skip
        assert isinstance(app.screen, EnvFormScreen)
        await pilot.press("escape")
        await on_screen(pilot, AppDetailScreen)
    assert _row(services, view.id) == before
    assert "env" not in {o.kind for o in services.call(services.apps.operations())}

    viewer = world.services(read_only=True)
    app = make_app(viewer, viewer.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        app.push_screen(AppDetailScreen(view.id))
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(
            pilot, lambda: "2 values unknown" in str(detail.query_one("#summary").render())
        )
        assert detail.check_action("env", ()) is False
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, EnvFormScreen)
    assert _row(services, view.id) == before
