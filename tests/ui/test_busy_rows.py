"""A row says what any operation on its app is doing, not only the ones this UI started: a stop
from the command line, a restore from the detail screen, an operation older than this UI."""

from __future__ import annotations

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.apps_rows import busy_participle
from tests.ui.helpers import cell, on_screen, wait_for


def test_operation_kinds_read_as_what_they_do():
    assert busy_participle("restore") == "restoring"
    assert busy_participle("stop") == "stopping"
    assert busy_participle("deploy") == "deploying"
    assert busy_participle(None) is None
    assert busy_participle("logs") is None  # not an operation that changes anything


async def test_a_stop_started_elsewhere_shows_on_the_row_and_clears(world):
    services = world.services(1)
    key = world.app_id(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await on_screen(pilot, AppsScreen)
        gate = world.sim.faults.hold(task="vzshutdown")
        # Not through this UI: as another terminal's `proximity-tui stop` would.
        stopping = services.runtime.submit(services.apps.stop_app(key))
        await wait_for(pilot, lambda: gate.arrived == 1)  # its shutdown task is held
        snapshot = services.call(services.monitor.tick())
        assert snapshot.apps[key].busy_kind == "stop"
        await wait_for(pilot, lambda: "stopping" in cell(app, key, "status"))
        gate.open()
        stopping.result(timeout=30)
        snapshot = services.call(services.monitor.tick())
        assert snapshot.apps[key].busy_op is None and snapshot.apps[key].busy_kind is None
        await wait_for(pilot, lambda: "stopped" in cell(app, key, "status"))
        assert "stopping" not in cell(app, key, "status")
