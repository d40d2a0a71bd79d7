"""Apps migrated from Proximity v1 in the dashboard (issue 15, points 4 and 9): the delete
confirmation names a CT that is not tagged `proximity` (adopted with --adopt-untagged: the
simulator's pre-existing CT 104 `media`, which Proximity never created), and a viewer's Settings
tab never shows a migrated secret (nor does ctrl+t reveal it)."""

from __future__ import annotations

import json

from textual.widgets import Static

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.services.app_records import MASK
from proximity_tui.services.migration.adoption import Adoption
from proximity_tui.services.migration.apply import migrate_file
from tests.ui.helpers import on_screen, said, table, wait_for


def _migrate(world, guests, *entries, username=None):
    source = world.tmp_path / "apps.json"
    source.write_text(json.dumps({"apps": list(entries)}))
    report = migrate_file(
        world.tmp_path / "proximity.db",
        source,
        username=username,
        adoption=Adoption.of(guests, adopt_untagged=True),
    )
    assert report.exit_code == 0, report.entries


def _entry(hostname, vmid, **over):
    return {
        "id": f"nginx-{hostname}", "catalog_id": "nginx", "name": "Nginx", "hostname": hostname,
        "status": "running", "lxc_id": vmid, "node": "pve1", **over,
    }  # fmt: skip


async def test_deleting_an_untagged_container_says_so(world):
    services = world.services(1)  # one app of ours (tagged), the OS user its admin
    guests = services.call(services.client.cluster_resources())
    _migrate(world, guests, _entry("media", 104))
    services.call(services.monitor.tick())
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen, timeout=30)
        await wait_for(pilot, lambda: "nginx-media" in app.apps, timeout=30)
        t = table(app)
        t.move_cursor(row=t.get_row_index("nginx-media"))
        await pilot.press("D")
        dialog = await on_screen(pilot, ConfirmScreen, timeout=30)
        listed = "\n".join(dialog.lines)
        assert "⚠ media: CT 104 is not tagged 'proximity': Proximity did not create it" in listed
        await pilot.press("escape")
        await on_screen(pilot, AppsScreen, timeout=30)
        t.move_cursor(row=t.get_row_index(world.app_id(0)))
        await pilot.press("D")
        dialog = await on_screen(pilot, ConfirmScreen, timeout=30)
        assert "not tagged" not in "\n".join(dialog.lines)  # ours: the usual question
        await pilot.press("escape")
    assert 104 in world.sim.call(lambda: set(world.sim.state.guests))  # nothing destroyed


async def test_a_viewer_never_sees_a_migrated_secret(world):
    env = {"DB_PASSWORD": "hunter2-secret", "TZ": "UTC"}
    # alice migrates first, so she is the database's admin; the OS user is then a viewer.
    _migrate(world, [], _entry("legacy", 990, environment=env), username="alice")
    services = world.services()
    assert not services.can_change
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await on_screen(pilot, AppsScreen, timeout=30)
        await wait_for(pilot, lambda: "nginx-legacy" in app.apps, timeout=30)
        app.open_app("nginx-legacy")
        detail = await on_screen(pilot, AppDetailScreen, timeout=30)
        text = detail.query_one("#settings-text", Static)
        await wait_for(pilot, lambda: "DB_PASSWORD" in str(text.render()), timeout=30)
        shown = str(text.render())
        assert f"DB_PASSWORD={MASK}" in shown and "TZ=UTC" in shown
        assert "hunter2-secret" not in shown
        await pilot.press("ctrl+t")  # reveal: refused for a viewer
        await wait_for(pilot, lambda: any("reveal" in n.message for n in said(app)), timeout=30)
        assert "hunter2-secret" not in str(text.render())
