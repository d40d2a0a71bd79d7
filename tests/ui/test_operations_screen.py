"""The Operations screen at 80x24: the selected operation's whole error is readable, and a
cancelled (rolled back) operation is listed distinctly from a failure."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.operations import OperationsScreen
from proximity_tui.services.operations.pipeline import StepFailed
from tests.ui.helpers import cell, on_screen, wait_for

OPS = "#ops-table"


async def test_selected_error_is_readable_at_80_columns(world):
    from pvesim.faults import FaultRule

    services = world.services(0)
    world.sim.faults.add(
        FaultRule(command=r"compose .* pull", exit_status=18, stderr="manifest unknown: w" * 3)
    )
    with pytest.raises(StepFailed):
        services.call(services.apps.deploy_app("whoami", world.host(0)))
    error = services.call(services.apps.operations())[0].error
    assert error and len(error) > 60
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, CatalogScreen)
        await pilot.press("3")
        screen = await on_screen(pilot, OperationsScreen)
        await wait_for(pilot, lambda: screen._shown)
        detail = screen.query_one("#ops-detail", Static)
        await pilot.pause()
        shown = " ".join(str(detail.render()).split())
        assert " ".join(error.split()) in shown
        assert "✖ failed" in shown
        # on screen, not below the fold: the pane ends above the footer
        assert detail.region.height >= 2
        assert detail.region.bottom <= 23
        # the start time is compact (today: the time only), leaving room for the error
        assert len(cell(app, "1", "time", OPS)) <= 8


async def test_cancelled_operation_is_listed_as_cancelled(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        gate = world.sim.faults.hold(command=r"apk add")
        op_id = services.call(services.apps.start_deploy("whoami", world.host(1)))
        await wait_for(pilot, lambda: gate.arrived == 1, timeout=20)  # held in its docker step
        services.apps.cancel_operation(op_id)
        op = services.call(services.apps.wait_operation(op_id))
        assert op.status == "rolled_back"
        await pilot.press("3")
        screen = await on_screen(pilot, OperationsScreen)
        await wait_for(pilot, lambda: str(op_id) in screen._shown)
        assert cell(app, str(op_id), "status", OPS) == "↺ cancelled"
        assert "✔ succeeded" in cell(app, "1", "status", OPS)


async def test_an_operation_in_progress_has_its_own_glyph(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        gate = world.sim.faults.hold(command=r"apk add")
        op_id = services.call(services.apps.start_deploy("whoami", world.host(1)))
        await wait_for(pilot, lambda: gate.arrived == 1, timeout=20)
        await pilot.press("3")
        screen = await on_screen(pilot, OperationsScreen)
        await wait_for(pilot, lambda: str(op_id) in screen._shown)
        running = cell(app, str(op_id), "status", OPS)
        assert running == "◐ running"  # not the running app's ●
        assert "●" not in running
        gate.open()
        services.call(services.apps.wait_operation(op_id))
        await wait_for(pilot, lambda: "✔" in cell(app, str(op_id), "status", OPS), timeout=20)


async def test_a_mode_key_lands_on_the_list_not_on_a_screen_left_open(world):
    from proximity_tui.screens.app_detail import AppDetailScreen

    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0))
        await on_screen(pilot, AppDetailScreen)
        await pilot.press("3")
        await on_screen(pilot, OperationsScreen)
        await pilot.press("2")  # the detail left open in Apps is closed: the list shows
        await on_screen(pilot, AppsScreen)
        assert len(app.screen_stack) == 1
