"""App detail at 80 columns: the footer shows whole keys, the less used actions left to `?`."""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from tests.ui.helpers import on_screen, wait_for


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
            await pilot.pause(0.3)
            keys = list(detail.query_one(Footer).query(FooterKey))
            shown = {k.key for k in keys}
            assert {"escape", "S", "X", "R", "D"} <= shown, width
            assert ({"C", "B", "U", "L"} <= shown) is wide, (width, shown)
            # Every key drawn whole inside the screen (Textual's footer would cut the last one).
            outside = [(k.key, k.region) for k in keys if not 0 < k.region.right <= width]
            assert not outside and all(k.region.width > 0 for k in keys), (width, outside)
            assert "C" in detail.active_bindings  # still bound, and listed by `?`
