"""The app detail screen: its summary (sparklines on a fixed scale, a compact layout at 80x24,
"1 core"), a footer of whole keys, the Backups tab (created, listed, restored and deleted, each
confirmed, keys that do not collide with the app's actions), the app's operations, the settings
pane scrolled by keyboard."""

from __future__ import annotations

import dataclasses

from textual.widgets import DataTable, Footer, Static, TabbedContent
from textual.widgets._footer import FooterKey

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen, LogView, PaneScroll
from proximity_tui.screens.app_detail_info import summary_text
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.choices import ChoicesScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.widgets.metric_sparkline import FixedSparkline, MetricSparkline, bar_levels
from tests.ui.helpers import on_screen, through_progress, wait_for


def test_bar_levels_are_fractions_of_the_limit():
    assert bar_levels([0.0] * 5, 1.0, 10) == [0.0] * 10
    assert bar_levels([64.0] * 5, 64.0, 4) == [1.0] * 4
    assert bar_levels([0.0, 0.5, 2.0], 1.0, 3) == [0.0, 0.5, 1.0]  # clamped
    assert bar_levels([1.0, 3.0, 2.0, 0.0], 4.0, 2) == [0.75, 0.5]  # max per column


def _footer_settled(screen, width: int, wide: bool) -> bool:
    """The footer is laid out for `width`: its keys drawn, the wide-only ones as `wide` says."""
    keys = list(screen.query_one(Footer).query(FooterKey))
    laid_out = bool(keys) and all(0 < k.region.right <= width and k.region.width > 0 for k in keys)
    return laid_out and ({"C", "B", "U", "L"} <= {k.key for k in keys}) is wide


async def _detail(world, apps=1):
    services = world.services(apps)
    services.call(services.monitor.tick())
    app = make_app(services, services.settings)
    return services, app


async def test_backup_create_list_delete_and_operations(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    key = world.app_id(0)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.press("enter")
        detail = await on_screen(pilot, AppDetailScreen)
        assert detail.app_id == key
        assert "URL" in str(detail.query_one("#summary").render())
        detail.query_one(TabbedContent).active = "backups"
        await pilot.press("B")
        await on_screen(pilot, ChoicesScreen)  # mode and storage: the defaults
        await pilot.press("enter")
        await through_progress(pilot)
        backups = detail.query_one("#backups-table", DataTable)
        await wait_for(pilot, lambda: backups.row_count == 1, timeout=20)
        volid = detail.backups[0].volid
        assert [b.volid for b in services.call(services.apps.list_backups(key))] == [volid]
        backups.focus()
        await pilot.pause()
        assert detail.active_bindings["delete"].enabled
        await pilot.press("delete")
        confirm = await on_screen(pilot, ConfirmScreen)
        assert confirm.focused is not None and confirm.focused.id == "cancel"  # Enter cancels
        await pilot.press("y")
        await wait_for(pilot, lambda: backups.row_count == 0, timeout=20)
        assert services.call(services.apps.list_backups(key)) == []
        # this app's operations, newest first; Enter opens one from the journal
        detail.query_one(TabbedContent).active = "operations"
        ops = detail.query_one("#ops-table", DataTable)
        await wait_for(pilot, lambda: ops.row_count >= 2)
        ops.focus()
        await pilot.press("enter")
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status == "succeeded")
        assert progress.kind == "delete_backup"  # the newest of its operations


def test_backup_keys_do_not_collide_by_case_with_app_actions():
    keys = {b.key: b.action for b in AppDetailScreen.BINDINGS}
    assert keys["ctrl+r"] == "restore" and keys["delete"] == "delete_backup"
    assert "r" not in keys and "x" not in keys
    singles = [k for k in keys if len(k) == 1]
    lowered = [k.lower() for k in singles]
    assert len(set(lowered)) == len(lowered), singles  # no two keys differ only by case


async def test_empty_then_backup_restore_and_delete_are_confirmed(world):
    services = world.services(1)
    key = world.app_id(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(key, tab="backups")
        detail = await on_screen(pilot, AppDetailScreen)
        empty = detail.query_one("#backups-empty", Static)
        await wait_for(pilot, lambda: "No backups yet" in str(empty.render()))
        assert "press B to back up" in str(empty.render()) and empty.display
        # the backup keys are in the footer on this tab only
        assert detail.active_bindings["ctrl+r"].enabled is False  # greyed: nothing to restore
        await pilot.press("B")
        await on_screen(pilot, ChoicesScreen)  # mode and storage: the defaults
        await pilot.press("enter")
        await through_progress(pilot)
        backups = detail.query_one("#backups-table", DataTable)
        await wait_for(pilot, lambda: backups.row_count == 1, timeout=20)
        assert not empty.display
        backups.focus()
        await pilot.pause()
        assert detail.active_bindings["ctrl+r"].enabled
        assert detail.active_bindings["delete"].enabled
        # a lower-case r or x does nothing to the backup
        await pilot.press("r", "x")
        await pilot.pause()
        assert app.screen is detail
        # restore asks first; cancelling keeps everything
        await pilot.press("ctrl+r")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("escape")
        await on_screen(pilot, AppDetailScreen)
        # delete asks first, then deletes
        await pilot.press("delete")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: backups.row_count == 0, timeout=20)
        assert services.call(services.apps.list_backups(key)) == []
        assert empty.display
        # elsewhere the backup keys are hidden
        detail.query_one(TabbedContent).active = "settings"
        await pilot.pause()
        assert detail.check_action("restore", ()) is False
        assert "ctrl+r" not in detail.active_bindings


async def test_detail_footer_fits_80_columns_and_shows_everything_when_wide(world):
    services = world.services(1)
    services.call(services.monitor.tick())
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0))
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: detail.view is not None)
        for width, wide in ((80, False), (140, True), (80, False)):
            await pilot.resize_terminal(width, 24)
            await wait_for(pilot, lambda w=width, x=wide: _footer_settled(detail, w, x))
            keys = list(detail.query_one(Footer).query(FooterKey))
            shown = {k.key for k in keys}
            assert {"escape", "S", "X", "R", "D"} <= shown, width
            assert ({"C", "B", "U", "L"} <= shown) is wide, (width, shown)
            # Every key drawn whole inside the screen (Textual's footer would cut the last one).
            outside = [(k.key, k.region) for k in keys if not 0 < k.region.right <= width]
            assert not outside and all(k.region.width > 0 for k in keys), (width, outside)
            assert "C" in detail.active_bindings  # still bound, and listed by `?`


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
            detail.view, live=dataclasses.replace(detail.view.live, maxcpu=1.0)
        )
        assert not detail.query_one("#dates").display  # tall enough: dates in the summary
        assert "of 1 core" in summary_text(view).plain
        assert "1 cores" not in summary_text(view).plain
        assert "1 cores" not in summary_text(view, compact=True).plain
        two = dataclasses.replace(view, live=dataclasses.replace(view.live, maxcpu=2.0))
        assert "of 2 cores" in summary_text(two).plain
        # shrinking the terminal switches to the compact layout
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: detail.query_one("#dates").display)
        assert "Created" not in str(detail.query_one("#summary").render())
