"""Issue 16, missing 2, in the dashboard: `r` on the Operations screen retries the selected failed
deploy with the same settings (its progress screen opens, the app is deployed); it is greyed for
anything else; a deploy that was given environment values opens the form (the journal kept only
their names). The CLI twin: tests/integration/cli/test_cli_retry.py."""

from __future__ import annotations

import pytest

from proximity_tui.app import make_app
from proximity_tui.errors import ProximityError
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.deploy_form import DeployFormScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.screens.operations import OperationsScreen
from tests.ui.helpers import on_screen, said, table, wait_for


def _fail_next_docker_install(world) -> None:
    from pvesim.faults import FaultRule

    world.sim.faults.add(FaultRule(command=r"apk add", exit_status=1, stderr="ERROR: no docker"))


def _select(app, op_id: int) -> None:
    t = table(app, "#ops-table")
    t.move_cursor(row=t.get_row_index(str(op_id)))


async def test_r_retries_a_failed_deploy_with_the_same_settings(world):
    services = world.services(0)
    _fail_next_docker_install(world)
    with pytest.raises(ProximityError):
        services.call(services.apps.deploy_app("whoami", world.host(0), memory=384))
    [failed] = services.call(services.apps.operations())
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await on_screen(pilot, CatalogScreen)  # no app: the first screen
        await pilot.press("3")
        screen = await on_screen(pilot, OperationsScreen)
        await wait_for(pilot, lambda: str(failed.id) in screen._shown)
        _select(app, failed.id)
        assert screen.check_action("retry", ()) is True
        await pilot.press("r")
        progress = await on_screen(pilot, DeployProgressScreen)
        assert progress.op_id != failed.id
        await services.run(services.apps.wait_operation(progress.op_id))
        retried = await services.run(services.apps.operation(progress.op_id, events=False))
        assert retried.status == "succeeded"
        assert retried.parameters == failed.parameters  # the same request
        live = await services.run(services.client.cluster_resources())
        [ct] = [g for g in live if g.name == world.host(0)]
        assert ct.maxmem == 384 * 1024 * 1024  # the memory the first deploy was asked for
        await pilot.press("escape")
        await on_screen(pilot, OperationsScreen)
        await wait_for(pilot, lambda: str(progress.op_id) in screen._shown)
        _select(app, progress.op_id)  # a succeeded deploy: nothing to retry
        assert screen.check_action("retry", ()) is None
        await pilot.press("r")
        assert isinstance(app.screen, OperationsScreen)
        assert len(services.call(services.apps.operations())) == 2


async def test_r_on_a_deploy_given_values_opens_the_form(world):
    services = world.services(0)
    _fail_next_docker_install(world)
    with pytest.raises(ProximityError):
        services.call(
            services.apps.deploy_app("grafana", world.host(0), environment={"ADMIN_USER": "boss"})
        )
    [failed] = services.call(services.apps.operations())
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await on_screen(pilot, CatalogScreen)  # no app: the first screen
        await pilot.press("3")
        screen = await on_screen(pilot, OperationsScreen)
        await wait_for(pilot, lambda: str(failed.id) in screen._shown)
        _select(app, failed.id)
        await pilot.press("r")
        form = await on_screen(pilot, DeployFormScreen)
        assert form.entry.id == "grafana"
        await wait_for(
            pilot,
            lambda: any(
                "was given ADMIN_USER" in str(n.message) and "enter them again" in str(n.message)
                for n in said(app)
            ),
        )
    assert len(services.call(services.apps.operations())) == 1  # nothing started
