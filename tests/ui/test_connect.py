"""First run: the connect screen reads the certificate, trusts it only when told, connects, and
writes the config (mode 0600) only once the connection worked."""

from __future__ import annotations

import stat
import tomllib

from textual.widgets import Button, Checkbox, Input, Label, Static

from proximity_tui.app import make_connect_app
from proximity_tui.config import Settings, load_settings
from proximity_tui.screens.connect import ConnectScreen
from tests.ui.helpers import on_screen, wait_for


def _fill(screen, px, *, secret: str) -> None:
    screen.query_one("#host", Input).value = px.host
    screen.query_one("#port", Input).value = str(px.port)
    screen.query_one("#user", Input).value = px.user
    screen.query_one("#token", Input).value = px.token_name
    screen.query_one("#secret", Input).value = secret


async def test_connect_pins_the_fingerprint_and_saves_the_config(world, tmp_path):
    px = load_settings(world.config, env={}).proxmox
    target = tmp_path / "new" / "config.toml"
    app = make_connect_app(Settings(config_path=target, db_path=tmp_path / "p.db"))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await on_screen(pilot, ConnectScreen)
        _fill(screen, px, secret="wrong-secret")
        await pilot.pause()
        connect = screen.query_one("#connect-btn", Button)
        assert connect.disabled  # nothing trusted yet
        screen.query_one("#fetch", Button).press()
        await wait_for(pilot, lambda: screen.fingerprint is not None)
        assert screen.fingerprint == px.fingerprint
        assert px.fingerprint in str(screen.query_one("#fingerprint", Label).render())
        assert connect.disabled  # read, but not accepted
        screen.query_one("#trust", Checkbox).value = True
        await pilot.pause()
        assert not connect.disabled
        connect.press()  # a wrong token: the cause and the fix are shown, nothing saved
        error = screen.query_one("#connect-error", Static)
        await wait_for(pilot, lambda: "Could not connect" in str(error.render()), timeout=20)
        assert "token" in str(error.render())
        assert not target.exists()
        screen.query_one("#secret", Input).value = px.token_value
        await pilot.pause()
        connect.press()
        await wait_for(pilot, lambda: app.return_value is not None, timeout=20)
    services = app.return_value
    try:
        assert services.cluster is not None and len(services.cluster.nodes) == 3
        saved = tomllib.loads(target.read_text())["proxmox"]
        assert saved["fingerprint"] == px.fingerprint and saved["token_value"] == px.token_value
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    finally:
        services.close(wait=10)


async def test_demo_button_leaves_with_demo(tmp_path):
    app = make_connect_app(Settings(config_path=tmp_path / "config.toml"))
    async with app.run_test(size=(120, 50)) as pilot:
        await on_screen(pilot, ConnectScreen)
        await pilot.press("f2")
        await pilot.pause()
    assert app.return_value == "demo"
    assert not (tmp_path / "config.toml").exists()
