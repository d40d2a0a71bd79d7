"""App detail: sparklines on a fixed scale (W14), a compact summary at 80x24 with every tab's
content reachable by keyboard (A3), and "1 core"."""

from __future__ import annotations

import dataclasses

from textual.widgets import TabbedContent

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen, LogView, PaneScroll
from proximity_tui.screens.app_detail_info import summary_text
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.widgets.metric_sparkline import FixedSparkline, MetricSparkline, bar_levels
from tests.ui.helpers import on_screen, wait_for


def test_bar_levels_are_fractions_of_the_limit():
    assert bar_levels([0.0] * 5, 1.0, 10) == [0.0] * 10
    assert bar_levels([64.0] * 5, 64.0, 4) == [1.0] * 4
    assert bar_levels([0.0, 0.5, 2.0], 1.0, 3) == [0.0, 0.5, 1.0]  # clamped
    assert bar_levels([1.0, 3.0, 2.0, 0.0], 4.0, 2) == [0.75, 0.5]  # max per column


async def _detail(world, apps=1):
    services = world.services(apps)
    services.call(services.monitor.tick())
    app = make_app(services, services.settings)
    return services, app


async def test_sparklines_draw_zero_low_and_full_high(world):
    services, app = await _detail(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0))
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: app.snapshot is not None)
        detail._render_snapshot(app.snapshot)
        view = detail.view
        assert view.live is not None and view.live.maxmem > 0
        cpu = detail.query_one("#cpu-spark FixedSparkline", FixedSparkline)
        mem = detail.query_one("#mem-spark FixedSparkline", FixedSparkline)
        assert cpu.limit == 1.0 and mem.limit == view.live.maxmem
        # constant series: 0 % CPU is all low bars, memory at its limit all full bars
        spark = detail.query_one("#cpu-spark", MetricSparkline)
        spark.set_values([0.0] * 20, 1.0)
        detail.query_one("#mem-spark", MetricSparkline).set_values([64.0] * 20, 64.0)
        await pilot.pause()
        assert set(cpu.render().plain) == {"▁"} and cpu.size.width > 0
        assert set(mem.render().plain) == {"█"}
        assert "0.0%" in str(spark.query_one(".value").render())
        assert str(detail.query_one("#mem-spark .value").render()) == "64B/64B"


async def test_compact_summary_at_80x24_keeps_url_and_room_for_tabs(world):
    services, app = await _detail(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0), tab="logs")
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: detail.view is not None and detail.view.live is not None)
        detail._render_view()
        await pilot.pause()
        summary = detail.query_one("#summary")
        assert summary.size.height <= 7
        assert detail.query_one(LogView).size.height >= 10
        assert "URL" in str(summary.render())
        assert "Created" not in str(summary.render())
        dates = detail.query_one("#dates")  # beside it, under the sparklines
        assert dates.display and "Created" in str(dates.render()) and dates.region.height == 2
        # a long error never pushes the URL away: it comes after, on one line
        view = dataclasses.replace(detail.view, status="error", reason="boom " * 60)
        text = summary_text(view, compact=True, width=38).plain.splitlines()
        assert text[2].startswith("URL")
        assert len(text) <= 6 and len(text[3]) <= 38


async def test_settings_pane_scrolls_with_the_keyboard_at_80x24(world):
    services, app = await _detail(world)
    async with app.run_test(size=(80, 15)) as pilot:  # small enough that Environment is below
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0))
        detail = await on_screen(pilot, AppDetailScreen)
        scroll = detail.query_one(PaneScroll)
        assert detail.query_one(TabbedContent).active == "settings"
        await pilot.press("down")  # from the tab bar into the pane
        assert app.focused is scroll
        await pilot.pause()
        assert scroll.max_scroll_y > 0
        await pilot.press("j")
        await wait_for(pilot, lambda: scroll.scroll_y >= 1)
        await pilot.press("G")
        await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y)


async def test_one_core_is_singular(world):
    services, app = await _detail(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0))
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: detail.view.live is not None)
        view = dataclasses.replace(
            detail.view, live=dataclasses.replace(detail.view.live, cores=1.0)
        )
        assert not detail.query_one("#dates").display  # tall enough: dates in the summary
        assert "of 1 core" in summary_text(view).plain
        assert "1 cores" not in summary_text(view).plain
        assert "1 cores" not in summary_text(view, compact=True).plain
        two = dataclasses.replace(view, live=dataclasses.replace(view.live, cores=2.0))
        assert "of 2 cores" in summary_text(two).plain
        # shrinking the terminal switches to the compact layout
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: detail.query_one("#dates").display)
        assert "Created" not in str(detail.query_one("#summary").render())
