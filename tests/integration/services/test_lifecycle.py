"""Scenario 2 (a restart re-syncs from Proxmox), scenario 4 (deletion) and the full lifecycle,
checking the database after every step."""

from __future__ import annotations

import threading

import pytest

from proximity_tui.errors import BusyError, ProximityError
from proximity_tui.store import repositories as repo
from pvesim.faults import FaultRule
from tests.integration.services.conftest import guests_named, make_services


def row(services, app_id):
    with services.db.session(readonly=True) as s:
        app = repo.get_app(s, app_id)
        return None if app is None else (app.status, app.lxc_id, app.node, app.url)


def ct_status(sim, vmid):
    return sim.call(lambda: sim.state.find_ct(vmid).status)


def test_a_new_service_on_the_same_database_lists_and_resyncs(sim, services, tmp_path, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    # Behind the app service's back, the container is stopped (as an admin would in the web UI).
    upid = services.call(services.client.ct_action(app.node, app.vmid, "stop"))
    services.call(services.client.wait_task(upid))
    services.close(wait=10)

    again = make_services(sim, tmp_path)
    try:
        listed = again.call(again.apps.list_apps())
        assert [a.id for a in listed] == [app.id]
        assert listed[0].status == "running"  # what the database knew
        snapshot = again.call(again.monitor.tick())
        assert snapshot.ok and snapshot.apps[app.id].status == "stopped"
        assert row(again, app.id)[0] == "stopped"
    finally:
        again.close(wait=10)


def test_delete_stops_destroys_and_forgets(sim, services, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    services.call(services.apps.delete_app(app.id))
    assert row(services, app.id) is None
    assert guests_named(sim, hostname) == []
    op = services.call(services.apps.operations())[0]
    assert (op.kind, op.status) == ("delete", "succeeded")


def test_a_destroy_failure_keeps_the_app_listed_as_error(sim, services, faults, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    faults.add(FaultRule(task="vzdestroy", task_error="unable to destroy CT - storage busy"))
    with pytest.raises(ProximityError, match="storage busy"):
        services.call(services.apps.delete_app(app.id))
    status, vmid, _, _ = row(services, app.id)
    assert status == "error" and vmid == app.vmid
    kept = services.call(services.apps.get_app(app.id))
    assert "storage busy" in (kept.reason or "")
    assert len(guests_named(sim, hostname)) == 1


def test_full_lifecycle(sim, services, faults, hostname):
    apps = services.apps
    app = services.call(apps.deploy_app("whoami", hostname))
    assert row(services, app.id)[0] == "running"

    app = services.call(apps.stop_app(app.id))
    assert app.status == "stopped" and ct_status(sim, app.vmid) == "stopped"
    assert row(services, app.id)[0] == "stopped"

    app = services.call(apps.start_app(app.id))
    assert app.status == "running" and ct_status(sim, app.vmid) == "running"

    app = services.call(apps.restart_app(app.id))
    assert app.status == "running" and ct_status(sim, app.vmid) == "running"
    kinds = [op.kind for op in services.call(apps.operations(app_id=app.id))]
    assert kinds[:4] == ["restart", "start", "stop", "deploy"]

    copy = services.call(apps.clone_app(app.id, f"{hostname}-copy"))
    assert copy.status == "running" and copy.vmid != app.vmid
    assert row(services, copy.id)[0] == "running"
    snaps = sim.call(lambda: list(sim.state.find_ct(app.vmid).snapshots))
    assert not [s for s in snaps if str(s).startswith("proximity-clone")]  # temporary one gone

    backup = services.call(apps.backup_app(app.id))
    assert backup.volid.startswith("local:backup/vzdump-lxc-") and backup.size > 0
    assert [b.volid for b in services.call(apps.list_backups(app.id))] == [backup.volid]

    app = services.call(apps.restore_app(app.id, backup.volid))
    assert app.status == "running" and ct_status(sim, app.vmid) == "running"

    app = services.call(apps.update_app(app.id))
    assert app.status == "running"
    op = services.call(apps.operations(app_id=app.id))[0]
    assert (op.kind, op.status) == ("update", "succeeded")

    faults.add(
        FaultRule(
            command=r"compose .* pull",
            exit_status=1,
            stderr="Error response from daemon: pull access denied",
        )
    )
    with pytest.raises(ProximityError, match="pull access denied"):
        services.call(apps.update_app(app.id))
    op = services.call(apps.operations(app_id=app.id))[0]
    assert (op.kind, op.status) == ("update", "rolled_back")
    assert any("rolled CT" in u for u in op.result["undone"])
    assert row(services, app.id)[0] == "running"
    assert not [
        s
        for s in sim.call(lambda: list(sim.state.find_ct(app.vmid).snapshots))
        if str(s).startswith("proximity-update")
    ]

    services.call(apps.delete_app(copy.id))
    services.call(apps.delete_app(app.id))
    assert services.call(apps.list_apps()) == []
    assert guests_named(sim, hostname) == [] and guests_named(sim, f"{hostname}-copy") == []


def test_a_second_operation_on_a_busy_app_fails_at_once(sim, services, faults, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    gate = faults.hold(task="vzshutdown")
    first = services.runtime.submit(services.apps.stop_app(app.id))
    assert gate.wait_until(lambda g: g.arrived == 1)  # the stop is in its shutdown task
    with pytest.raises(BusyError, match="busy"):
        services.call(services.apps.start_app(app.id))
    gate.open()
    assert first.result(timeout=30).status == "stopped"


def test_a_long_health_check_says_it_is_waiting(sim, services, faults, hostname):
    """The health check's heartbeat reaches the operation's events (what the CLI prints live and
    the progress screen shows) and its journal; every poll here is a heartbeat (`heartbeat` 0)."""
    apps = services.apps
    app = services.call(apps.deploy_app("whoami", hostname))
    apps.containers.heartbeat = 0.0
    heard: list[str] = []
    unsubscribe = apps.events.subscribe(lambda e: heard.append(e.message))
    faults.add(FaultRule(command=r"wget .*/health", exit_status=4, stderr="refused", times=2))
    try:
        services.call(apps.update_app(app.id))
    finally:
        unsubscribe()
    waiting = "… waiting for http://127.0.0.1:80/health: attempt"
    beats = [m for m in heard if m.startswith(waiting)]
    assert len(beats) == 2  # the two refusals; the third look answered
    for n, line in enumerate(beats, 1):
        assert line.startswith(f"{waiting} {n}, ") and line.endswith("s (refused)")
    op = services.call(apps.operation(services.call(apps.operations(app_id=app.id))[0].id))
    assert op.kind == "update" and [e.message for e in op.events if e.message in beats] == beats


def test_a_long_silent_proxmox_task_says_it_is_waiting(sim, services, faults, hostname):
    """A task that writes no log line while it runs (a clone held before its body) gets
    heartbeat lines in the operation's log; every look is one here (`heartbeat` 0)."""
    apps = services.apps
    app = services.call(apps.deploy_app("whoami", hostname))
    apps.containers.heartbeat = 0.0
    waiting = f"… waiting for task vzclone {app.vmid} on {app.node}: attempt"
    heard: list[str] = []
    two_beats = threading.Event()

    def hear(event) -> None:
        heard.append(event.message)
        if sum(m.startswith(waiting) for m in heard) >= 2:
            two_beats.set()

    unsubscribe = apps.events.subscribe(hear)
    gate = faults.hold(task="vzclone")
    try:
        clone = services.runtime.submit(apps.clone_app(app.id, f"{hostname}-copy"))
        assert gate.wait_until(lambda g: g.arrived == 1)
        assert two_beats.wait(60)  # held: no line from the task, yet the log says it waits
        gate.open()
        assert clone.result(timeout=60).hostname == f"{hostname}-copy"
    finally:
        gate.open()
        unsubscribe()
    beats = [m for m in heard if m.startswith(waiting)]
    assert beats[0].startswith(f"{waiting} 1, ") and beats[1].startswith(f"{waiting} 2, ")
    assert all(m.endswith(f"s of {apps.containers.task_timeout:g}s") for m in beats)
