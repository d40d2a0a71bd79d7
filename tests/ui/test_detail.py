"""The app detail screen: backups created, listed and deleted; the app's operations; logs."""

from __future__ import annotations

from textual.widgets import DataTable, TabbedContent

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from tests.ui.helpers import on_screen, wait_for


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
        backups = detail.query_one("#backups-table", DataTable)
        await wait_for(pilot, lambda: backups.row_count == 1, timeout=20)
        volid = detail.backups[0].volid
        assert [b.volid for b in services.call(services.apps.list_backups(key))] == [volid]
        backups.focus()
        await pilot.pause()
        assert detail.active_bindings["delete"].enabled
        await pilot.press("delete")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("enter")
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


async def test_logs_follow_and_search(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0), tab="logs")
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: len(detail.lines) > 0, timeout=20)
        word = detail.lines[0].split()[0]
        await pilot.press("slash", *word)
        assert detail.search == word.lower()
        shown = detail.query_one("#log-view").lines
        assert shown and all(word.lower() in line.lower() for line in shown)
        await pilot.press("escape")
        await pilot.press("f")  # follow: the stream is restarted, following
        assert detail.follow
        await pilot.press("escape")  # leaving stops the stream
        await on_screen(pilot, AppsScreen)
        assert detail._stop is not None and detail._stop.is_set()
