"""Storage that cannot snapshot (`dir-storage`, `nfs-storage`): update takes a backup as its
rollback point (and restores it when the update fails), clone stops a running source for the
copy; each says which method it used. The default (lvmthin) host still snapshots."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ProximityError
from pvesim.faults import FaultRule
from pvesim.server import Simulator
from tests.integration.services.conftest import make_services


@pytest.fixture(scope="module", params=["dir-storage", "nfs-storage", "lvmthin"])
def host(request):
    profiles = [] if request.param == "lvmthin" else [request.param]
    sim = Simulator(nodes=2, time_scale=0.0, seed=41, profiles=profiles)
    sim.start()
    yield request.param, sim
    sim.stop()


def _last(services, app_id: str, kind: str):
    return next(o for o in services.call(services.apps.operations(app_id=app_id)) if o.kind == kind)


def test_update_and_clone_pick_their_method_by_storage(host, tmp_path):
    kind, sim = host
    fallback = kind != "lvmthin"
    services = make_services(sim, tmp_path)
    try:
        apps = services.apps
        app = services.call(apps.deploy_app("whoami", "fb-app"))
        app = services.call(apps.update_app(app.id))
        assert app.status == "running"
        op = _last(services, app.id, "update")
        assert op.status == "succeeded"
        assert op.result["method"] == ("backup" if fallback else "snapshot")
        events = [e.message for e in services.call(apps.operation(op.id)).events]
        assert any(f"rollback point: {op.result['method']}" in m for m in events)
        assert events[-1].endswith(f"(rollback point: {op.result['method']})")
        ct = lambda: sim.state.find_ct(app.vmid)  # noqa: E731
        assert sim.call(lambda: list(ct().snapshots)) == []
        if fallback:  # the rollback backup was removed after the success
            left = services.call(
                services.client.backups(app.node, op.result["backup_storage"], app.vmid)
            )
            assert op.result["backup"] not in {v.volid for v in left}

        # A failed update puts the CT back by the same method, and it runs again.
        sim.faults.add(FaultRule(command=r"compose .* pull", exit_status=1, stderr="denied"))
        with pytest.raises(ProximityError, match="denied"):
            services.call(apps.update_app(app.id))
        sim.faults.clear()
        op = _last(services, app.id, "update")
        assert op.status == "rolled_back", op.error
        assert any(("restored" if fallback else "rolled") in u for u in op.result["undone"])
        assert sim.call(lambda: ct().status) == "running"

        copy = services.call(apps.clone_app(app.id, "fb-copy"))
        assert copy.status == "running"
        op = _last(services, copy.id, "clone")
        want = "stop, full clone, start" if fallback else "snapshot, full clone"
        assert op.status == "succeeded" and op.result["method"] == want
        assert sim.call(lambda: ct().status) == "running"  # the source runs again
    finally:
        sim.faults.clear()
        services.close(wait=30)
