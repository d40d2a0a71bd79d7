"""The app shell: start-up mode, mode keys, help overlay, palette providers, theme saving."""

from __future__ import annotations

import tomllib

from proximity_tui.app import make_app
from proximity_tui.providers import AppActionsProvider, AppsProvider, DeployProvider, ThemeProvider
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.help import HelpScreen
from proximity_tui.screens.operations import OperationsScreen
from tests.ui.helpers import on_screen


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


async def test_sighup_leaves_at_once_and_says_so(world):
    import os
    import signal

    services = world.services(0)
    app = make_app(services, services.settings, handle_sighup=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        os.kill(os.getpid(), signal.SIGHUP)  # the handler is on the app's loop
        await pilot.pause(0.2)
    assert app.hung_up and app.return_code == 129
