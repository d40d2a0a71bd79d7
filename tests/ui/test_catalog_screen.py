"""The catalog screen at 80x24: a readable list, the detail pane reachable and scrollable by
keyboard, category counts that follow the filter, the marks explained."""

from __future__ import annotations

from textual.widgets import OptionList

from proximity_tui.app import make_app
from proximity_tui.screens.catalog import LEGEND, CatalogScreen
from proximity_tui.widgets.filter_input import FilterInput
from tests.ui.helpers import on_screen, wait_for


async def test_list_is_readable_and_detail_reachable_at_80x24(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_screen(pilot, CatalogScreen)
        entries = screen.query_one("#entries", OptionList)
        assert entries.content_region.width >= 26  # was 18: "Actual Budg…"
        assert screen.query_one("#catalog-legend").render().plain == LEGEND
        detail = screen.query_one("#catalog-detail")
        await pilot.press("y")  # the compose file: longer than the pane
        await wait_for(pilot, lambda: detail.max_scroll_y > 0)
        await pilot.press("tab")
        assert screen.focused is detail
        await pilot.press("j", "j", "j")
        await wait_for(pilot, lambda: detail.scroll_y >= 3)
        await pilot.press("G")
        await wait_for(pilot, lambda: detail.scroll_y == detail.max_scroll_y)
        await pilot.press("left")  # back to the list, then the categories
        assert screen.focused is entries
        await pilot.press("left")
        assert screen.focused is screen.query_one("#categories")
        await pilot.press("right", "right")
        assert screen.focused is detail


async def test_category_counts_follow_the_filter(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, CatalogScreen)
        categories = screen.query_one("#categories", OptionList)

        def prompt(index: int) -> str:
            return str(categories.get_option_at_index(index).prompt)

        total = len(services.catalog.entries)
        assert prompt(0) == f"All ({total})"
        await pilot.press("slash")
        screen.query_one(FilterInput).value = "grafana"
        await pilot.pause()
        shown = len(screen._shown)
        assert 0 < shown < total
        assert prompt(0) == f"All ({shown})"
        monitoring = next(
            i for i in range(categories.option_count) if prompt(i).startswith("Monitoring")
        )
        assert prompt(monitoring) == "Monitoring (1)"
