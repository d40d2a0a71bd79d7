"""The header's cluster line drops whole parts when narrow, never a word's half."""

from __future__ import annotations

from proximity_tui.app import make_app
from proximity_tui.widgets.cluster_header import fit_parts
from tests.ui.helpers import wait_for


def test_fit_parts_drops_lowest_priority_parts_whole():
    parts = [(4, "127.0.0.1"), (3, "3 nodes"), (1, "PVE 9.1.1"), (2, "root (admin)")]
    assert fit_parts(parts, 200) == "127.0.0.1 · 3 nodes · PVE 9.1.1 · root (admin)"
    assert fit_parts(parts, 35) == "127.0.0.1 · 3 nodes · root (admin)"
    assert fit_parts(parts, 20) == "127.0.0.1 · 3 nodes"
    assert fit_parts(parts, 12) == "127.0.0.1"
    assert fit_parts(parts, 3) == ""


async def _header_text(world, width: int, *, read_only: bool) -> str:
    services = world.services(0, read_only=read_only, demo=True)
    app = make_app(services, services.settings)
    async with app.run_test(size=(width, 24)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        await pilot.pause()
        info = app.screen.query_one("#info")
        text = str(info.render())
        assert len(text) <= info.content_region.width
        return text


async def test_header_at_80_columns_keeps_whole_parts(world):
    allowed = {"127.0.0.1", "3 nodes", "PVE 9.1.1", "root (admin)"}
    for read_only in (False, True):
        text = await _header_text(world, 80, read_only=read_only)
        assert text.startswith("127.0.0.1")
        assert set(text.split(" · ")) <= allowed  # no "PVE" without its version, no "3"
    wide = await _header_text(world, 160, read_only=True)
    assert wide == "127.0.0.1 · 3 nodes · PVE 9.1.1 · root (admin)"
