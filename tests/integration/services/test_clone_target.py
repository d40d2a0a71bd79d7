"""Cloning an app to another node (issue 16): from shared storage the copy runs on the target and
its row says so; from a node's local storage, or to a node that is not there, it is refused in
one line before anything changes (no CT, no row, no operation)."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ConflictError, ValidationError
from proximity_tui.store import repositories as repo
from pvesim.server import Simulator
from tests.integration.services.conftest import guests_named, make_services


@pytest.fixture(scope="module")
def nfs_sim():
    sim = Simulator(nodes=2, time_scale=0.0, seed=43, profiles=["nfs-storage"])
    sim.start()
    yield sim
    sim.stop()


def test_from_shared_storage_the_copy_runs_on_the_target(nfs_sim, tmp_path):
    services = make_services(nfs_sim, tmp_path)
    try:
        apps = services.apps
        app = services.call(apps.deploy_app("whoami", "far-src", node="pve1"))
        copy = services.call(apps.clone_app(app.id, "far-copy", node="pve2"))
        assert (copy.node, copy.status) == ("pve2", "running") and copy.url
        ct = nfs_sim.call(lambda: nfs_sim.state.find_ct(copy.vmid))
        assert (ct.node, ct.status) == ("pve2", "running")
        assert nfs_sim.call(lambda: nfs_sim.state.find_ct(app.vmid).status) == "running"
        op = services.call(apps.operations(app_id=copy.id))[0]
        assert (op.kind, op.status) == ("clone", "succeeded")
        assert op.parameters["node"] == "pve2"
        snapshot = services.call(services.monitor.tick())  # status refreshes where it now is
        assert snapshot.apps[copy.id].status == "running"
        assert services.call(apps.get_app(copy.id)).node == "pve2"

        # pve2 drops out of the cluster: Proxmox would clone there, the copy could not start.
        nfs_sim.set_node_online("pve2", False)
        before = len(services.call(apps.operations()))
        with pytest.raises(ConflictError) as refused:
            services.call(apps.clone_app(app.id, "far-off", node="pve2"))
        assert str(refused.value) == (
            "node pve2 is offline: the copy could not start there; "
            "clone it on pve1 or once pve2 is back"
        )
        assert len(services.call(apps.operations())) == before
        assert guests_named(nfs_sim, "far-off") == []
    finally:
        nfs_sim.set_node_online("pve2")
        services.close(wait=30)


def test_from_local_storage_or_to_no_such_node_nothing_changes(sim, services, hostname):
    apps = services.apps
    app = services.call(apps.deploy_app("whoami", hostname, node="pve1"))
    before = len(services.call(apps.operations()))
    copy = f"{hostname}-far"
    with pytest.raises(ConflictError) as refused:
        services.call(apps.clone_app(app.id, copy, node="pve2"))
    assert str(refused.value) == (
        f"CT {app.vmid}'s disk is on local-lvm, which node pve2 cannot see: "
        "clone it on pve1 or move its disk to shared storage"
    )
    with pytest.raises(ValidationError, match=r"no node named 'nosuch' in the cluster \(nodes: "):
        services.call(apps.clone_app(app.id, copy, node="nosuch"))
    assert guests_named(sim, copy) == []
    with services.db.session(readonly=True) as s:
        assert repo.get_app(s, f"whoami-{copy}") is None
    assert len(services.call(apps.operations())) == before
    assert sim.call(lambda: sim.state.find_ct(app.vmid).snapshots) == {}
