"""The update confirmation names each service's current and new image before anything runs."""

from __future__ import annotations

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from tests.ui.helpers import on_screen, table, wait_for


async def test_update_confirmation_lists_the_images(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: table(app).row_count == 1)
        await pilot.press("U")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert (
            f"  {world.host(0)} whoami: traefik/whoami:v1.11.0 (pulls the newest build of this tag)"
            in dialog.lines
        )
        await pilot.press("escape")
        await on_screen(pilot, AppsScreen)
    ops = services.call(services.apps.operations(app_id=world.app_id(0)))
    assert [op.kind for op in ops] == ["deploy"]  # cancelled: nothing ran
