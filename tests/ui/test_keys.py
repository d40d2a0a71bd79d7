"""k9s / lazydocker conventions: `q` goes back (or quits on a list, asking first while operations
run) and is a character in text fields; a key nothing handles says so, once in a while, but not
for keys typed into a field; ctrl+l (or F5) asks for a status tick now."""

from __future__ import annotations

from textual.widgets import Input

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from tests.ui.helpers import held_deploy, on_screen, open_form, said, wait_for


def _messages(app) -> list[str]:
    return [n.message for n in said(app)]


async def test_q_closes_the_detail_then_quits_from_the_list(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.press("enter")
        await on_screen(pilot, AppDetailScreen)
        await pilot.press("q")
        await on_screen(pilot, AppsScreen)
        assert app.is_running
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


async def test_q_is_a_character_in_the_deploy_form(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "whoami")
        hostname = form.query_one("#hostname", Input)
        assert hostname.has_focus
        hostname.value = "sq"
        await pilot.press("end", "q")
        await wait_for(pilot, lambda: hostname.value == "sqq")
        assert app.screen is form  # still there
        assert not any("no such key" in m for m in _messages(app))


async def test_q_leaves_a_running_deploy_and_asks_before_quitting(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        progress, gate = await held_deploy(pilot, world)
        assert isinstance(progress, DeployProgressScreen)
        await pilot.press("q")  # back: the deploy keeps running
        await on_screen(pilot, AppsScreen)
        await pilot.press("q")
        confirm = await on_screen(pilot, ConfirmScreen)
        assert confirm.title_text == "1 deploy is running. Quit?"
        await pilot.press("escape")
        await on_screen(pilot, AppsScreen)
        assert app.is_running
        gate.open()


async def test_an_unbound_key_says_so_once_in_a_while(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.press("z")
        await wait_for(pilot, lambda: "z: no such key here · ? for help" in _messages(app))
        await pilot.press("exclamation_mark", "ctrl+b", "z")  # within the quiet time
        await pilot.pause()
        assert sum("no such key" in m for m in _messages(app)) == 1
        app.key_hints._last = float("-inf")  # the quiet time is over
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: "!: no such key here · ? for help" in _messages(app))
        # bound keys say nothing, nor does Escape
        count = len(_messages(app))
        app.key_hints._last = float("-inf")
        await pilot.press("escape", "j", "k")
        await pilot.pause()
        assert len(_messages(app)) == count


async def test_keys_typed_into_a_field_get_no_hint(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, AppsScreen)
        await pilot.press("slash", "z", "ctrl+b", "f7")
        assert isinstance(screen.focused, Input)
        await pilot.pause()
        assert not any("no such key" in m for m in _messages(app))


async def test_ctrl_l_asks_for_a_status_tick_now(world):
    services = world.services(0)
    monitor = services.monitor
    monitor.interval = monitor.current_interval = 3600.0  # no tick of its own after the first

    async def start() -> None:
        monitor.start()

    services.call(start())
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded and monitor.ticks >= 1)
        before = monitor.ticks
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: monitor.ticks == before + 1)
        await pilot.press("f5")
        await wait_for(pilot, lambda: monitor.ticks == before + 2)
