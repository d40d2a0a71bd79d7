"""The app shell: start-up mode, mode keys, the help overlay (its title, our keys only, F1,
scrolling), palette providers, theme saving (and its note in the demo), ctrl+q with operations in
flight, SIGHUP, and the header's cluster line that drops whole parts when narrow."""

from __future__ import annotations

import tomllib

from proximity_tui.app import make_app
from proximity_tui.providers import AppActionsProvider, AppsProvider, DeployProvider, ThemeProvider
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.deploy_form import DeployFormScreen
from proximity_tui.screens.help import HelpScreen
from proximity_tui.screens.operations import OperationsScreen
from proximity_tui.widgets.cluster_header import fit_parts
from tests.ui.helpers import on_screen, wait_for


async def test_opens_on_catalog_without_apps_and_switches_modes(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        await pilot.press("2")
        assert isinstance(app.screen, AppsScreen)
        assert "No apps yet" in str(app.screen.query_one("#empty").render())
        await pilot.press("3")
        assert isinstance(app.screen, OperationsScreen)
        await pilot.press("c")
        assert isinstance(app.screen, CatalogScreen)


async def test_opens_on_apps_with_help_for_its_bindings(world):
    services = world.services(1, demo=True)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)  # apps exist: it opens on them
        header = str(app.screen.query_one("#info").render())
        assert "3 nodes" in header and "root" in header
        assert app.screen.query("#demo")  # the demo badge
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        descriptions = {row[1] for row in app.screen.rows}
        assert {"Start", "Stop", "Delete", "Filter", "Sort", "Mark"} <= descriptions
        assert "Cursor up" not in descriptions  # widget plumbing is left out
        await pilot.press("escape")
        assert isinstance(app.screen, AppsScreen)


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


async def _hits(provider_cls, app, query: str) -> list[str]:
    provider = provider_cls(app.screen)
    return [hit.text async for hit in provider.search(query)]


async def test_palette_providers(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        assert await _hits(AppsProvider, app, world.host(1)) == [f"Open app {world.host(1)}"]
        assert "Deploy Gitea" in await _hits(DeployProvider, app, "gitea")
        actions = await _hits(AppActionsProvider, app, "")
        selected = app.apps[app.selected_app_id]
        assert actions and all(selected.hostname in text for text in actions)
        assert "Theme: nord" in await _hits(ThemeProvider, app, "nord")
        # choosing a hit runs its command
        provider = AppsProvider(app.screen)
        hit = [h async for h in provider.search(world.host(0))][0]
        hit.command()
        await pilot.pause()
        assert type(app.screen).__name__ == "AppDetailScreen"


async def test_palette_finds_an_app_by_its_catalog_name(world):
    services = world.services(0)
    services.call(services.apps.deploy_app("uptime-kuma", f"{world.prefix}status"))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        provider = AppsProvider(app.screen)
        hits = [hit.text async for hit in provider.search("kuma")]
        assert hits == [f"Open app {world.prefix}status"]


async def test_theme_choice_is_saved_to_the_config(world):
    services = world.services(0)
    settings = services.settings
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        app.theme = "nord"
        await app.workers.wait_for_complete()
        saved = tomllib.loads(settings.config_path.read_text())
        assert saved["ui"]["theme"] == "nord"
        assert saved["proxmox"]["fingerprint"] == services.settings.proxmox.fingerprint  # kept


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

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        gate = world.sim.faults.hold(command=r"apk add")
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
        gate.open()
    assert app.return_code == 0


async def test_ctrl_q_without_operations_quits_at_once(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.return_code is not None)  # no question first
        assert not isinstance(app.screen, ConfirmScreen)
    assert app.return_code == 0


async def test_sighup_leaves_at_once_and_says_so(world):
    import os
    import signal

    services = world.services(0)
    app = make_app(services, services.settings, handle_sighup=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        os.kill(os.getpid(), signal.SIGHUP)  # the handler is on the app's loop
        await wait_for(pilot, lambda: app.hung_up)
    assert app.hung_up and app.return_code == 129


def test_fit_parts_drops_lowest_priority_parts_whole():
    parts = [(4, "127.0.0.1"), (3, "3 nodes"), (1, "PVE 9.1.1"), (2, "root (admin)")]
    assert fit_parts(parts, 200) == "127.0.0.1 · 3 nodes · PVE 9.1.1 · root (admin)"
    assert fit_parts(parts, 35) == "127.0.0.1 · 3 nodes · root (admin)"
    assert fit_parts(parts, 20) == "127.0.0.1 · 3 nodes"
    assert fit_parts(parts, 12) == "127.0.0.1"
    assert fit_parts(parts, 3) == ""


async def _header_text(world, width: int, *, read_only: bool) -> str:
    services = world.services(0, read_only=read_only, demo=True)
    app = make_app(services, services.settings)
    async with app.run_test(size=(width, 24)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        await pilot.pause()
        info = app.screen.query_one("#info")
        text = str(info.render())
        assert len(text) <= info.content_region.width
        return text


async def test_header_at_80_columns_keeps_whole_parts(world):
    allowed = {"127.0.0.1", "3 nodes", "PVE 9.1.1", "root (admin)"}
    for read_only in (False, True):
        text = await _header_text(world, 80, read_only=read_only)
        assert text.startswith("127.0.0.1")
        assert set(text.split(" · ")) <= allowed  # no "PVE" without its version, no "3"
    wide = await _header_text(world, 160, read_only=True)
    assert wide == "127.0.0.1 · 3 nodes · PVE 9.1.1 · root (admin)"


async def test_palette_opens_on_actions_and_apps_then_every_deploy(world):
    from textual.command import CommandList, CommandPalette

    services = world.services(2)
    app = make_app(services, services.settings)
    entries = len(services.catalog.entries)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: app.selected_app_id is not None)
        await pilot.press("ctrl+p")
        palette = await on_screen(pilot, CommandPalette)
        listing = palette.query_one(CommandList)

        def prompts() -> list[str]:
            return [
                str(listing.get_option_at_index(i).prompt).splitlines()[0]
                for i in range(listing.option_count)
            ]

        await wait_for(pilot, lambda: sum(p.startswith("Deploy ") for p in prompts()) == entries)
        shown = prompts()
        selected = app.apps[app.selected_app_id].hostname
        apps = [i for i, p in enumerate(shown) if p.startswith("Open app ")]
        actions = [i for i, p in enumerate(shown) if p.endswith(f" {selected}")]
        actions = [i for i in actions if i not in apps]
        deploys = [i for i, p in enumerate(shown) if p.startswith("Deploy ")]
        assert len(apps) == 2 and actions, shown[:10]
        assert actions == list(range(len(actions)))  # the selected app's actions open the list
        assert apps == list(range(len(actions), len(actions) + 2))  # then the apps
        assert min(deploys) > max(i for i, p in enumerate(shown) if not p.startswith("Deploy "))
