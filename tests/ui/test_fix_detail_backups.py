"""App detail, Backups tab: keys that do not collide with Restart/Stop by case (A7), both confirmed,
shown in the footer on that tab only; an empty list says how to make a backup (A13)."""

from __future__ import annotations

from textual.widgets import DataTable, Static, TabbedContent

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from tests.ui.helpers import on_screen, wait_for


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
        await pilot.press("enter")
        await wait_for(pilot, lambda: backups.row_count == 0, timeout=20)
        assert services.call(services.apps.list_backups(key)) == []
        assert empty.display
        # elsewhere the backup keys are hidden
        detail.query_one(TabbedContent).active = "settings"
        await pilot.pause()
        assert detail.check_action("restore", ()) is False
        assert "ctrl+r" not in detail.active_bindings
