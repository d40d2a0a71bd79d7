"""The dashboard's backup asks for the vzdump mode and the storage (those holding backups on the
app's node) and uses them; cancelling changes nothing."""

from __future__ import annotations

from textual.widgets import Select

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.choices import ChoicesScreen
from tests.ui.helpers import on_screen, table, wait_for


async def test_backup_dialog_mode_and_storage(world):
    services = world.services(1)
    key = world.app_id(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: table(app).row_count == 1)
        await pilot.press("B")
        dialog = await on_screen(pilot, ChoicesScreen)
        mode = dialog.query_one("#choice-mode", Select)
        storage = dialog.query_one("#choice-storage", Select)
        assert mode.value == "snapshot" and storage.value == "local"
        await pilot.press("escape")  # cancelled: nothing ran
        await on_screen(pilot, AppsScreen)
        assert services.call(services.apps.list_backups(key)) == []

        await pilot.press("B")
        dialog = await on_screen(pilot, ChoicesScreen)
        dialog.query_one("#choice-mode", Select).value = "stop"
        await pilot.click("#confirm")

        def newest():
            return services.call(services.apps.operations(app_id=key))[0]

        await wait_for(
            pilot, lambda: (newest().kind, newest().status) == ("backup", "succeeded"), timeout=20
        )
    [made] = services.call(services.apps.list_backups(key))
    assert made.storage == "local"
    op = newest()
    lines = [e.message for e in services.call(services.apps.operation(op.id)).events]
    assert any("backup mode: stop" in line for line in lines), lines
