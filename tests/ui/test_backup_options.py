"""The dashboard's backup asks for the vzdump mode and the storage (those holding backups on the
app's node) and uses them; cancelling changes nothing."""

from __future__ import annotations

from textual.widgets import Select

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.choices import ChoicesScreen
from proximity_tui.screens.confirm import ConfirmScreen
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


async def test_several_apps_are_asked_once_with_the_storages_all_their_nodes_have(world):
    services = world.services(2)
    keys = [world.app_id(0), world.app_id(1)]
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: table(app).row_count == 2)
        table(app).move_cursor(row=0)
        await pilot.press("space", "space", "B")  # both marked, one question
        dialog = await on_screen(pilot, ChoicesScreen)
        assert dialog.title_text.startswith("Back up 2 apps (on ")
        storage = dialog.query_one("#choice-storage", Select)
        assert [value for _, value in storage._options] == ["local"]  # on every node
        dialog.query_one("#choice-mode", Select).value = "stop"
        await pilot.click("#confirm")
        confirm = await on_screen(pilot, ConfirmScreen)  # several apps: the list, then go
        assert "(mode stop, to storage local)" in confirm.lines
        await pilot.click("#confirm")

        def done() -> bool:
            ops = [services.call(services.apps.operations(app_id=k))[0] for k in keys]
            return all((o.kind, o.status) == ("backup", "succeeded") for o in ops)

        await wait_for(pilot, done, timeout=30)
    for key in keys:
        op = services.call(services.apps.operations(app_id=key))[0]
        lines = [e.message for e in services.call(services.apps.operation(op.id)).events]
        assert any("backup mode: stop" in line for line in lines), lines
        assert [b.storage for b in services.call(services.apps.list_backups(key))] == ["local"]
