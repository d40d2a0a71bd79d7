"""Real hosts that differ from the default: PVE 7 without `.../interfaces`, a shutdown that
runs into its timeout, the start a rollback schedules by itself. Each on its own simulator
profile, through the product's services over HTTPS and SSH."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ProximityError
from pvesim.faults import FaultRule
from pvesim.testing import simulator_fixture
from tests.integration.services.conftest import make_services

pve7 = simulator_fixture(nodes=2, time_scale=0.0, seed=21, profiles=["pve7"])
slow = simulator_fixture(nodes=2, time_scale=0.0, seed=21, profiles=["slow-shutdown"])


def _events(services, app_id: str, kind: str) -> list[str]:
    ops = [o for o in services.call(services.apps.operations(app_id=app_id)) if o.kind == kind]
    return [e.message for e in services.call(services.apps.operation(ops[0].id)).events]


#: Tasks take a fifth of their real time: the start a rollback forks is still running when the
#: rollback task has ended.
timed = simulator_fixture(nodes=2, time_scale=0.2, seed=21)


def test_pve7_addresses_come_from_inside_the_ct(pve7, tmp_path):
    services = make_services(pve7, tmp_path)
    try:
        assert services.client.interfaces_supported is False  # learnt from the version at connect
        app = services.call(services.apps.deploy_app("whoami", "seven"))
        assert app.status == "running" and app.url and app.config["address"] in app.url
        guest_ip = pve7.call(lambda: pve7.state.find_ct(app.vmid).ip)
        assert guest_ip.split("/")[0] == app.config["address"]
        # The product never asked for the endpoint PVE 7 lacks.
        assert not [k for k in pve7.stats.by_call() if k.endswith("/interfaces")]
    finally:
        services.close(wait=30)


def test_shutdown_that_does_not_stop_is_forced(slow, tmp_path):
    services = make_services(slow, tmp_path)
    try:
        app = services.call(services.apps.deploy_app("whoami", "slowstop"))
        app = services.call(services.apps.stop_app(app.id))
        assert app.status == "stopped"
        assert slow.call(lambda: slow.state.find_ct(app.vmid).status) == "stopped"
        events = _events(services, app.id, "stop")
        assert any("container did not stop" in m for m in events), events
        assert any("forcing a stop" in m for m in events), events
    finally:
        services.close(wait=30)


def test_update_rollback_meets_the_start_proxmox_scheduled(timed, tmp_path):
    """Rollback with start=1 forks its own vzstart after the rollback task (every profile)."""
    services = make_services(timed, tmp_path)
    try:
        app = services.call(services.apps.deploy_app("whoami", "rollrace"))
        timed.faults.add(
            FaultRule(command=r"compose .* pull", exit_status=1, stderr="pull access denied")
        )
        with pytest.raises(ProximityError, match="pull access denied"):
            services.call(services.apps.update_app(app.id))
        op = services.call(services.apps.operations(app_id=app.id))[0]
        assert (op.kind, op.status) == ("update", "rolled_back"), op.error
        assert timed.call(lambda: timed.state.find_ct(app.vmid).status) == "running"
        assert services.call(services.apps.get_app(app.id)).status == "running"
    finally:
        timed.faults.clear()
        services.close(wait=30)
