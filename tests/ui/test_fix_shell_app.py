"""Shell fixes: the help overlay's title and rows, F1, the palette finding apps by their app's
name, the theme note in the demo, ctrl+q with operations in flight."""

from __future__ import annotations

from proximity_tui.app import make_app
from proximity_tui.providers import AppsProvider, ThemeProvider
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.deploy_form import DeployFormScreen
from proximity_tui.screens.help import HelpScreen
from tests.ui.helpers import on_screen, wait_for


async def test_help_names_the_screen_and_lists_our_keys_only(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "AppDetailScreen")
        await pilot.press("question_mark")
        help_ = await on_screen(pilot, HelpScreen)
        assert help_.under_name == "App detail"
        assert "Keys on App detail" in str(help_.query_one("#title").render())
        keys = {row[0] for row in help_.rows}
        descriptions = " ".join(row[1] for row in help_.rows)
        assert {"j k", "g G", "ctrl+d ctrl+u", "ctrl+p", "1 2 3", "tab"} <= keys
        assert "shift+tab" not in keys and "super+c" not in keys
        assert "ctrl+c" not in keys and "Copy selected text" not in descriptions
        assert "Focus Next" not in descriptions
        await pilot.press("escape", "escape")
        await on_screen(pilot, AppsScreen)
        await pilot.press("question_mark")
        help_ = await on_screen(pilot, HelpScreen)
        assert help_.under_name == "Apps"
        assert "enter" in {row[0] for row in help_.rows}


async def test_f1_opens_help_from_the_deploy_form_and_question_mark_types(world):
    from textual.widgets import Input

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        app.open_deploy_form("whoami")
        form = await on_screen(pilot, DeployFormScreen)
        field = form.query_one("#hostname", Input)
        before = field.value
        await pilot.press("end", "question_mark")
        assert field.value == before + "?"  # a text field takes `?`
        assert isinstance(app.screen, DeployFormScreen)
        await pilot.press("f1")
        help_ = await on_screen(pilot, HelpScreen)
        assert help_.under_name == "Deploy form"
        await pilot.press("f1")  # closes again
        await on_screen(pilot, DeployFormScreen)
        footer_keys = {b.binding.key for b in form.active_bindings.values() if b.binding.show}
        assert "f1" in footer_keys  # the footer says how to get help
        form.query_one("#node").focus()  # outside a text field, `?` opens the help too
        await pilot.press("question_mark")
        await on_screen(pilot, HelpScreen)
        assert field.value == before + "?"


async def test_palette_finds_an_app_by_its_catalog_name(world):
    services = world.services(0)
    services.call(services.apps.deploy_app("uptime-kuma", f"{world.prefix}status"))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        provider = AppsProvider(app.screen)
        hits = [hit.text async for hit in provider.search("kuma")]
        assert hits == [f"Open app {world.prefix}status"]


async def test_theme_note_is_truthful_in_the_demo(world):
    services = world.services(0, demo=True)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        provider = ThemeProvider(app.screen)
        helps = {hit.help async for hit in provider.search("nord")}
        assert helps == {"for this session (not saved)"}
        app.theme = "nord"
        await app.workers.wait_for_complete()
        assert "nord" not in services.settings.config_path.read_text()
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        helps = {hit.help async for hit in ThemeProvider(app.screen).search("nord")}
        assert helps == {"saved to the config"}


async def test_ctrl_q_with_a_deploy_in_flight_asks_first(world):
    from pvesim.faults import FaultRule

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        world.sim.faults.add(FaultRule(command=r"apk add", delay=3.0))
        op_id = services.call(services.apps.start_deploy("whoami", world.host(0)))
        assert op_id in services.apps.running_operations()
        await pilot.press("ctrl+q")
        confirm = await on_screen(pilot, ConfirmScreen)
        assert confirm.title_text == "1 deploy is running. Quit?"
        assert "waits for it to finish" in confirm.note and "ctrl+c" in confirm.note
        await pilot.press("escape")  # stay
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+q")
        await on_screen(pilot, ConfirmScreen)
        await pilot.click("#confirm")
        await pilot.pause(0.2)
    assert app.return_code == 0
    world.sim.faults.clear()


async def test_ctrl_q_without_operations_quits_at_once(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
    assert app.return_code == 0


async def test_help_scrolls_with_the_keyboard_at_80x24(world):
    from proximity_tui.widgets.vim_keys import VimScroll

    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.press("f1")
        help_ = await on_screen(pilot, HelpScreen)
        pane = help_.query_one(VimScroll)
        assert help_.focused is pane and pane.max_scroll_y > 0  # the common keys are below
        await pilot.press("G")
        await wait_for(pilot, lambda: pane.scroll_y == pane.max_scroll_y)
        await pilot.press("k")
        await wait_for(pilot, lambda: pane.scroll_y == pane.max_scroll_y - 1)
