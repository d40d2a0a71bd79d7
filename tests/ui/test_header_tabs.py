"""A mouse click on a header tab switches mode, as its number key does."""

from __future__ import annotations

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.operations import OperationsScreen
from tests.ui.helpers import on_screen


async def test_clicking_a_header_tab_switches_mode(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.click("#tab-operations")
        await on_screen(pilot, OperationsScreen)
        assert app.screen.query_one("#tab-operations").has_class("-active")
        await pilot.click("#tab-catalog")
        await on_screen(pilot, CatalogScreen)
        await pilot.click("#tab-apps")
        await on_screen(pilot, AppsScreen)
