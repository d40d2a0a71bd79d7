"""The doctor in the UI: the checklist opens by itself at start when something needed fails,
from the palette otherwise, and on the connect screen; setup's button puts its token in the form.
Real services on an in-process simulator with host profiles, real SQLite files."""

from __future__ import annotations

import stat
import tomllib

from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from proximity_tui.app import make_app, make_connect_app
from proximity_tui.config import Settings, load_settings, write_config
from proximity_tui.screens.connect import ConnectScreen
from proximity_tui.screens.doctor import DoctorScreen
from pvesim.testing import simulator_fixture
from tests.ui.helpers import on_screen, wait_for

broken_sim = simulator_fixture(nodes=2, time_scale=0.0, seed=13, profiles=["docker-runc-broken"])


def _settings(sim, tmp_path, auth="token"):
    config = write_config(tmp_path / "config.toml", sim.client_settings(auth=auth))
    return load_settings(config, db_path=tmp_path / "proximity.db", env={})


def _factory(settings):
    from proximity_tui.services.bootstrap import build_services

    def build():
        services = build_services(settings)
        services.call(services.connect(monitor=False))
        return services

    return build


def _summary(screen) -> str:
    return str(screen.query_one("#doctor-summary", Label).render())


async def test_checklist_opens_at_start_when_something_needed_fails(broken_sim, tmp_path):
    settings = _settings(broken_sim, tmp_path)
    app = make_app(None, settings, services_factory=_factory(settings))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await on_screen(pilot, DoctorScreen, timeout=30)
        await wait_for(pilot, lambda: _summary(screen).startswith("Not ready"), timeout=30)
        assert "lxc-pve: pve1, lxc-pve: pve2" in _summary(screen)
        text = str(screen.query_one("#doctor-list", Static).render())
        assert "lxc-pve 6.0.5-1 is older than 6.0.5-2" in text
        assert "fix: on pve1: apt update && apt install lxc-pve (>= 6.0.5-2" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, DoctorScreen))
    if app.services is not None:
        app.services.close(wait=10)


async def test_no_checklist_at_start_on_a_ready_host_but_the_palette_opens_it(sim, tmp_path):
    settings = _settings(sim, tmp_path)
    app = make_app(None, settings, services_factory=_factory(settings))
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: app.services is not None, timeout=30)
        worker = [w for w in app.workers if w.group == "auto-doctor"]
        for w in worker:
            await w.wait()
        assert not isinstance(app.screen, DoctorScreen)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Host check" in commands
        app.action_doctor()
        screen = await on_screen(pilot, DoctorScreen)
        await wait_for(pilot, lambda: _summary(screen).startswith("Ready"), timeout=30)
    app.services.close(wait=10)


async def _trust(pilot, screen) -> None:
    screen.query_one("#fetch", Button).press()
    await wait_for(pilot, lambda: screen.fingerprint is not None)
    screen.query_one("#trust", Checkbox).value = True
    await pilot.pause()


async def test_connect_screen_checks_the_host_and_sets_up_a_token(sim, tmp_path):
    root = load_settings(
        write_config(tmp_path / "root.toml", sim.client_settings(auth="password")), env={}
    )
    px = root.proxmox
    target = tmp_path / "new" / "config.toml"
    # the form asks for the API only; `pct` is reached over the simulator's SSH
    app = make_connect_app(Settings(config_path=target, db_path=tmp_path / "p.db", ssh=root.ssh))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await on_screen(pilot, ConnectScreen)
        screen.query_one("#host", Input).value = px.host
        screen.query_one("#port", Input).value = str(px.port)
        screen.query_one("#user", Input).value = "root@pam"
        screen.query_one("#auth", Select).value = "password"
        screen.query_one("#password", Input).value = px.password
        await pilot.pause()
        assert screen.query_one("#setup-btn", Button).disabled  # nothing trusted yet
        await _trust(pilot, screen)

        screen.query_one("#doctor-btn", Button).press()
        doctor = await on_screen(pilot, DoctorScreen)
        await wait_for(pilot, lambda: _summary(doctor).startswith("Ready"), timeout=30)
        assert "password login as root@pam" in str(doctor.query_one("#doctor-list").render())
        await pilot.press("escape")
        screen = await on_screen(pilot, ConnectScreen)

        screen.query_one("#setup-btn", Button).press()
        status = screen.query_one("#connect-error", Static)
        await wait_for(pilot, lambda: "Done." in str(status.render()), timeout=30)
        assert "created API token proximity@pve!proximity" in str(status.render())
        assert screen.query_one("#user", Input).value == "proximity@pve"
        assert screen.query_one("#token", Input).value == "proximity"
        secret = screen.query_one("#secret", Input).value
        assert secret and secret not in str(status.render())
        assert not target.exists()  # saved only once Connect worked
        screen.query_one("#connect-btn", Button).press()
        await wait_for(pilot, lambda: app.return_value is not None, timeout=30)
    services = app.return_value
    try:
        saved = tomllib.loads(target.read_text())
        assert saved["proxmox"]["user"] == "proximity@pve"
        assert saved["proxmox"]["token_value"] == secret and "password" not in saved["proxmox"]
        assert saved["deploy"]["pool"] == "proximity"
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    finally:
        services.close(wait=10)


async def _past_the_start_checklist(pilot, app) -> None:
    """The broken host opens the doctor's checklist at start: wait for it, then close it."""
    await wait_for(pilot, lambda: app.services is not None, timeout=30)
    for w in [w for w in app.workers if w.group == "auto-doctor"]:
        await w.wait()
    if isinstance(app.screen, DoctorScreen):
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, DoctorScreen))


async def test_deploy_on_a_broken_host_is_refused_with_the_doctors_cause(broken_sim, tmp_path):
    """The form's plan names the lxc-pve cause and fix and keeps Deploy disabled; a deploy
    started anyway (the CLI, a script) fails at 'Choose a node' on the progress screen, with
    the same cause and fix, and nothing to clean up."""
    from proximity_tui.screens.deploy_progress import DeployProgressScreen
    from tests.ui.helpers import open_form

    settings = _settings(broken_sim, tmp_path)
    app = make_app(None, settings, services_factory=_factory(settings))
    async with app.run_test(size=(140, 45)) as pilot:
        await _past_the_start_checklist(pilot, app)
        await pilot.press("1")
        form = await open_form(pilot, "whoami")
        form.query_one("#hostname", Input).value = "rb-form"
        await wait_for(pilot, lambda: form.plan is not None and form.plan.hostname == "rb-form")
        plan = str(form.query_one("#plan", Static).render())
        assert "Docker cannot start containers inside CTs on" in plan
        assert "Fix: on pve" in plan and "apt install lxc-pve (>= 6.0.5-2" in plan
        assert form.query_one("#deploy", Button).disabled
        await pilot.press("escape")

        services = app.services
        op_id = services.call(services.apps.start_deploy("whoami", "rb-progress"))
        app.open_progress(op_id)
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status != "running", timeout=30)
        await wait_for(
            pilot, lambda: "Nothing was left" in str(progress.query_one("#result").render())
        )
        result = str(progress.query_one("#result").render())
        assert "Deploy of rb-progress failed at step 'Choose a node'" in result
        assert "lxc-pve 6.0.5-1 is older than 6.0.5-2" in result
        assert "Fix: on pve1: apt update && apt install lxc-pve (>= 6.0.5-2" in result
        assert services.call(services.apps.list_apps()) == []
    app.services.close(wait=10)
