"""Issue 16, missing 3: the catalog marks the entries already deployed, and how many times (the
list: `N deployed`; the detail: the hostnames); the marks follow deploys and deletes."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.widgets.filter_input import FilterInput
from tests.ui.helpers import on_screen, wait_for


async def test_deployed_entries_are_marked_with_their_count(world):
    services = world.services(2)  # two whoami apps
    app = make_app(services, services.settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await on_screen(pilot, AppsScreen, timeout=30)
        await pilot.press("1")
        screen = await on_screen(pilot, CatalogScreen)
        entries = screen.query_one("#entries", OptionList)
        detail = screen.query_one("#entry-detail", Static)

        def first_option() -> str:
            return str(entries.get_option_at_index(0).prompt)

        async def select(query: str) -> None:
            await pilot.press("slash")
            screen.query_one(FilterInput).value = query
            await wait_for(pilot, lambda: screen._shown and screen._shown[0].id == query)

        await select("whoami")
        await wait_for(pilot, lambda: "2 deployed" in first_option())
        hosts = f"{world.host(0)}, {world.host(1)}"
        await wait_for(pilot, lambda: f"Deployed 2 times: {hosts}" in str(detail.render()))
        await pilot.press("escape")
        await select("grafana")
        assert "deployed" not in first_option()
        assert "Deployed" not in str(detail.render())

        await services.run(services.apps.delete_app(world.app_id(1)))
        app.load_apps()
        await pilot.press("escape")
        await select("whoami")
        await wait_for(pilot, lambda: "1 deployed" in first_option())
        await wait_for(pilot, lambda: f"Deployed 1 time: {world.host(0)}" in str(detail.render()))
