"""What an app shows once an action has ended: the container's real state, at once.

A stopped app must not read `running` until the next tick, and a failed start, stop or restart
must leave the container's real status (not a blanket `error` that would hide it).
"""

from __future__ import annotations

import pytest

from proximity_tui.errors import ProximityError
from pvesim.faults import FaultRule
from tests.integration.services.test_lifecycle import ct_status, row


@pytest.fixture
def monitored(services):
    """The services with the status monitor running, ticking only when asked (interval 1 h)."""

    async def start() -> None:
        services.monitor.interval = 3600.0
        services.monitor.current_interval = 3600.0
        services.monitor.start()

    services.call(start())
    return services


def live(services, app_id):
    snapshot = services.monitor.latest
    view = snapshot.apps[app_id]
    return view.status, (view.live.status if view.live else None)


def test_after_stop_and_start_the_snapshot_already_shows_the_new_state(monitored, hostname):
    svc = monitored
    app = svc.call(svc.apps.deploy_app("whoami", hostname))
    assert live(svc, app.id) == ("running", "running")
    ticks = svc.monitor.ticks
    svc.call(svc.apps.stop_app(app.id))
    # No interval went by: the stop itself waited for a tick taken after it ended.
    assert svc.monitor.ticks > ticks
    assert live(svc, app.id) == ("stopped", "stopped")
    svc.call(svc.apps.start_app(app.id))
    assert live(svc, app.id) == ("running", "running")
    svc.call(svc.apps.restart_app(app.id))
    assert live(svc, app.id) == ("running", "running")


def test_a_start_refused_by_proxmox_leaves_the_app_stopped(sim, services, faults, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    services.call(services.apps.stop_app(app.id))
    faults.add(FaultRule(task="vzstart", task_error="startup for container failed"))
    with pytest.raises(ProximityError, match="startup for container failed"):
        services.call(services.apps.start_app(app.id))
    assert ct_status(sim, app.vmid) == "stopped"
    assert row(services, app.id)[0] == "stopped"  # not `error`: the CT is simply stopped
    op = services.call(services.apps.operations(app_id=app.id))[0]
    assert (op.kind, op.status) == ("start", "failed")


def test_a_failed_stop_leaves_the_app_running(sim, services, faults, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    faults.add(FaultRule(task="vzshutdown", task_error="shutdown failed"))
    faults.add(FaultRule(task="vzstop", task_error="can't stop: lock held"))
    with pytest.raises(ProximityError):
        services.call(services.apps.stop_app(app.id))
    assert ct_status(sim, app.vmid) == "running"
    assert row(services, app.id)[0] == "running"


def test_an_app_that_does_not_come_up_after_start_is_error_with_the_cause(
    sim, services, faults, hostname
):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    services.call(services.apps.stop_app(app.id))
    faults.add(
        FaultRule(command=r"compose .* up", exit_status=1, stderr="port is already allocated")
    )
    with pytest.raises(ProximityError, match="port is already allocated"):
        services.call(services.apps.start_app(app.id))
    assert ct_status(sim, app.vmid) == "running"
    status = services.call(services.apps.get_app(app.id))
    assert status.status == "error" and "port is already allocated" in (status.reason or "")
