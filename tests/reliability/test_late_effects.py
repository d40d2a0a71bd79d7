"""Late effects, in one session: a backup whose vzdump call got no answer fails, Proxmox carries
the call out after the operation ended (the simulator holds it at a gate past the client's
timeout, then lets it go), and the next status refresh's sweep records the archive it made. Then
the watch's edges: expired or unreadable watches are dropped, a session that may not change
anything leaves them alone.
"""

from __future__ import annotations

import time

import pytest

from proximity_tui.errors import ProximityError
from proximity_tui.services.late_effects import LATE_HORIZON
from pvesim.testing import simulator_fixture
from tests.reliability.conftest import make_services
from tests.reliability.world import sim_backups, wait_sim_idle

#: The client's limit: the call is held until after it, whatever the machine's speed.
TIMEOUT = 3.0


@pytest.fixture
def services(sim, tmp_path):
    svc = make_services(sim, tmp_path, **{"proxmox.timeout": TIMEOUT, "deploy.base": False})
    yield svc
    svc.close(wait=30)


def test_a_backup_made_after_its_call_timed_out_is_recorded_after_the_next_refresh(sim, services):
    app = services.call(services.apps.deploy_app("whoami", "late-backup"))
    before = set(sim_backups(sim))
    gate = sim.faults.hold(method="POST", path="/nodes/*/vzdump", times=1)
    with pytest.raises(ProximityError, match="no answer within"):
        services.call(services.apps.backup_app(app.id))
    assert services.call(services.apps.list_backups(app.id)) == []
    watches = services.apps.late.pending
    assert [(w.kind, w.vmid) for w in watches] == [("backup", app.vmid)]

    gate.open()  # Proxmox answers nobody, but carries the call out
    assert gate.wait_until(lambda g: g.settled())
    wait_sim_idle(sim, 60)
    made = set(sim_backups(sim)) - before
    assert len(made) == 1

    services.call(services.monitor.tick())  # the refresh starts the sweep
    services.call(services.apps.late.settled())
    assert [b.volid for b in services.call(services.apps.list_backups(app.id))] == list(made)
    assert services.apps.late.pending == []
    ops = services.call(services.apps.operations(limit=3))
    assert [(o.kind, o.status) for o in ops[:2]] == [
        ("record_backup", "succeeded"),
        ("backup", "failed"),
    ]
    services.call(services.apps.delete_app(app.id))


def test_the_next_command_records_what_a_command_before_it_left_late(sim, services, tmp_path):
    """A one-shot command sees no status refresh: the next one looks when it connects (as crash
    recovery does), reading the watch from the journal."""
    app = services.call(services.apps.deploy_app("whoami", "late-cli"))
    before = set(sim_backups(sim))
    gate = sim.faults.hold(method="POST", path="/nodes/*/vzdump", times=1)
    with pytest.raises(ProximityError, match="no answer within"):
        services.call(services.apps.backup_app(app.id))
    gate.open()
    assert gate.wait_until(lambda g: g.settled())
    wait_sim_idle(sim, 60)
    made = set(sim_backups(sim)) - before
    assert len(made) == 1

    # The next command: another process on the same database (make_services: no monitor).
    following = make_services(sim, tmp_path)
    try:
        recorded = following.call(following.apps.list_backups(app.id))
        assert [b.volid for b in recorded] == list(made)
        following.call(following.apps.delete_app(app.id))
    finally:
        following.close(wait=30)


def test_expired_and_unreadable_watches_are_dropped(services):
    late = services.apps.late
    item = {"kind": "backup", "node": "pve1", "vmid": 123, "app_id": "x", "storage": "local"}
    late.watch_from(900001, {"late": [item]}, ended=time.time() - LATE_HORIZON - 1)
    late.watch_from(900002, {"late": [{"kind": "ct", "node": "pve1"}, "nonsense"]})
    assert late.pending == []


def test_a_session_that_may_not_change_leaves_the_watches_alone(sim, tmp_path):
    viewer = make_services(sim, tmp_path, **{"ui.read_only": True})
    try:
        item = {"kind": "ct", "node": "pve1", "vmid": 999, "app_id": "gone", "hostname": "g"}
        viewer.apps.late.watch_from(900003, {"late": [item]})
        viewer.call(viewer.apps.late.sweep(reload=True))
        assert [w.vmid for w in viewer.apps.late.pending] == [999]
    finally:
        viewer.close(wait=10)


#: A host whose storage cannot snapshot: an update's rollback point is a vzdump backup.
dir_sim = simulator_fixture(nodes=1, time_scale=0.0, seed=43, profiles=["dir-storage"])


def test_an_update_rollback_backup_made_after_its_call_timed_out_is_recorded(dir_sim, tmp_path):
    """Not deleted, though the update would have removed it: an archive a scheduled job made in
    the same window could not be told apart, and deleting a backup is not undoable."""
    sim = dir_sim
    services = make_services(sim, tmp_path, **{"proxmox.timeout": TIMEOUT, "deploy.base": False})
    try:
        app = services.call(services.apps.deploy_app("whoami", "late-update"))
        before = set(sim_backups(sim))
        gate = sim.faults.hold(method="POST", path="/nodes/*/vzdump", times=1)
        with pytest.raises(ProximityError, match="no answer within"):
            services.call(services.apps.update_app(app.id))
        update = services.call(services.apps.operations(app_id=app.id))[0]
        assert (update.kind, update.status) == ("update", "failed")  # nothing to put back
        assert [(w.kind, w.vmid) for w in services.apps.late.pending] == [("backup", app.vmid)]
        assert services.call(services.apps.list_backups(app.id)) == []

        gate.open()
        assert gate.wait_until(lambda g: g.settled())
        wait_sim_idle(sim, 60)
        made = set(sim_backups(sim)) - before
        assert len(made) == 1

        services.call(services.apps.late.sweep(reload=True))
        services.call(services.apps.late.settled())
        assert [b.volid for b in services.call(services.apps.list_backups(app.id))] == list(made)
        record = services.call(services.apps.operations(app_id=app.id))[0]
        assert (record.kind, record.status) == ("record_backup", "succeeded")
        assert record.parameters["late_of"] == update.id
        assert services.call(services.apps.get_app(app.id)).status == "running"
        services.call(services.apps.delete_app(app.id))
    finally:
        services.close(wait=30)
