"""The status monitor: one API call per tick whatever the number of containers; vanished
containers become `missing`; orphans are reported; failures slow the polling down."""

from __future__ import annotations

import pytest

from proximity_tui.services.status import MAX_INTERVAL
from proximity_tui.store import repositories as repo
from pvesim.faults import FaultRule
from pvesim.server import Simulator
from tests.integration.services.conftest import make_services


def test_one_api_call_per_tick_with_1000_containers(tmp_path):
    with Simulator(nodes=3, containers=1000, time_scale=0.0, seed=5) as sim:
        services = make_services(sim, tmp_path)
        try:
            guests = services.call(services.client.cluster_resources())
            # Register 1,000 of them as apps, as if deployed earlier.
            with services.db.session() as s:
                for g in [g for g in guests if g.type == "lxc"][:1000]:
                    repo.add_app(
                        s,
                        id=f"whoami-ct{g.vmid}",
                        catalog_id="whoami",
                        name="whoami",
                        hostname=f"ct{g.vmid}",
                        status="running",
                        lxc_id=g.vmid,
                        node=g.node,
                    )
            services.call(services.monitor.tick())
            sim.stats.reset()
            snapshot = services.call(services.monitor.tick())
            assert sim.stats.total == 1
            assert len(snapshot.apps) == 1000 and snapshot.ok
            # A quiet second tick re-reads no full row and says what changed.
            assert snapshot.changed <= frozenset(snapshot.apps)
        finally:
            services.close(wait=10)


def test_a_vanished_container_becomes_missing_and_orphans_are_reported(sim, services, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    other = services.call(services.apps.deploy_app("whoami", f"{hostname}-o"))
    # One container is destroyed behind our back; another app row disappears (an orphan CT).
    client = services.client
    services.call(client.wait_task(services.call(client.ct_action(app.node, app.vmid, "stop"))))
    services.call(client.wait_task(services.call(client.delete_ct(app.node, app.vmid))))
    with services.db.session() as s:
        repo.delete_app(s, other.id)

    snapshot = services.call(services.monitor.tick())
    assert snapshot.apps[app.id].status == "missing"
    assert other.vmid in [o.vmid for o in snapshot.orphans]
    assert services.call(services.apps.get_app(app.id)).status == "missing"
    assert "delete" in services.apps.actions_for(snapshot.apps[app.id])
    assert "start" not in services.apps.actions_for(snapshot.apps[app.id])


def test_failures_mark_the_snapshot_stale_and_back_off(sim, services, faults, hostname):
    services.call(services.apps.deploy_app("whoami", hostname))
    good = services.call(services.monitor.tick())
    assert good.ok
    faults.add(
        FaultRule(
            method="GET",
            path="/cluster/resources",
            http_status=500,
            message="pveproxy down",
            times=None,
        )
    )
    bad = services.call(services.monitor.tick())
    assert not bad.ok and "pveproxy down" in (bad.error or "")
    assert bad.last_success == good.taken_at
    assert all(a.stale for a in bad.apps.values()) and set(bad.apps) == set(good.apps)
    assert services.monitor.current_interval == 2 * services.monitor.interval
    for _ in range(4):  # a long outage: polling slows down, but never past MAX_INTERVAL
        services.call(services.monitor.tick())
    assert services.monitor.current_interval == MAX_INTERVAL
    faults.clear()
    assert services.call(services.monitor.tick()).ok
    assert services.monitor.current_interval == services.monitor.interval


def test_an_orphan_can_be_destroyed_and_nothing_else(sim, services, hostname):
    from proximity_tui.errors import NotFoundError, ValidationError

    kept = services.call(services.apps.deploy_app("whoami", hostname))
    gone = services.call(services.apps.deploy_app("whoami", f"{hostname}-x"))
    with services.db.session() as s:
        repo.delete_app(s, gone.id)  # its container is now an orphan
    with pytest.raises(ValidationError, match="belongs to an app"):
        services.call(services.apps.destroy_orphan(kept.vmid))
    foreign = next(
        g
        for g in services.call(services.client.cluster_resources())
        if g.type == "lxc" and "proximity" not in g.tags
    )
    with pytest.raises(ValidationError, match="not tagged"):
        services.call(services.apps.destroy_orphan(foreign.vmid))
    with pytest.raises(NotFoundError):
        services.call(services.apps.destroy_orphan(999_999))

    services.call(services.apps.destroy_orphan(gone.vmid))

    snapshot = services.call(services.monitor.tick())
    assert gone.vmid not in [o.vmid for o in snapshot.orphans]
    assert sim.call(lambda: sim.state.find_ct(gone.vmid)) is None
    assert sim.call(lambda: sim.state.find_ct(foreign.vmid)) is not None
    op = services.call(services.apps.operations())[0]
    assert (op.kind, op.status) == ("destroy_orphan", "succeeded")


def test_a_row_changed_after_the_listing_was_asked_for_is_not_judged_by_it(services, hostname):
    """A `status` refresh racing a deploy: the listing was taken before the new CT existed, the
    row was recorded `running` after. The app must not become `missing` on that old listing."""
    from datetime import timedelta

    from proximity_tui.services.events import utcnow

    app = services.call(services.apps.deploy_app("whoami", hostname))
    before = utcnow() - timedelta(seconds=5)  # the listing "was asked for" before the deploy
    services.monitor._apply([], before)
    assert services.call(services.apps.get_app(app.id)).status == "running"
    services.monitor._apply([], utcnow() + timedelta(seconds=1))  # a newer listing without it
    assert services.call(services.apps.get_app(app.id)).status == "missing"


def test_the_history_holds_each_ticks_figures_and_forgets_a_deleted_app(services, hostname):
    """The sparkline history, by tick: each listed app gets its figures as a point, an app the
    listing leaves out gets none for that tick (and keeps its earlier ones), a deleted app's
    history goes with it."""
    from datetime import timedelta

    from proximity_tui.proxmox.models import Guest
    from proximity_tui.services.events import utcnow

    one = services.call(services.apps.deploy_app("whoami", hostname))
    two = services.call(services.apps.deploy_app("whoami", f"{hostname}-2"))
    monitor = services.monitor

    def guest(app, cpu, mem):
        d = {"vmid": app.vmid, "node": app.node, "type": "lxc", "status": "running"}
        return Guest.from_api({**d, "cpu": cpu, "mem": mem, "name": app.hostname})

    def listing(*guests):
        return monitor._apply(list(guests), utcnow() + timedelta(seconds=1))

    listing(guest(one, 0.25, 2**31), guest(two, 0.5, 7))
    listing(guest(one, 0.25, 2**31), guest(two, 0.75, 8))  # `one` did not move: a point anyway
    snapshot = listing(guest(two, 0.125, 9))  # `one` left out: no point for it this tick
    assert snapshot.apps[one.id].live is None
    assert snapshot.history[one.id] == ((0.25, 0.25), (2**31, 2**31))
    # Decided from the slots (the rows did not change since the last tick), written, re-read.
    assert services.call(services.apps.get_app(one.id)).status == "missing"
    assert snapshot.apps[one.id].status == "missing"
    snapshot = listing(guest(one, 1.0, 3), guest(two, 0.0, 10))
    assert services.call(services.apps.get_app(one.id)).status == "running"
    assert snapshot.apps[one.id].status == "running"
    assert snapshot.history[one.id] == ((0.25, 0.25, 1.0), (2**31, 2**31, 3))
    assert snapshot.history[two.id] == ((0.5, 0.75, 0.125, 0.0), (7, 8, 9, 10))

    with services.db.session() as s:
        repo.delete_app(s, two.id)
    snapshot = listing(guest(one, 0.5, 4), guest(two, 0.5, 11))
    assert two.id not in snapshot.apps and snapshot.history.get(two.id) is None
    assert snapshot.history[one.id][0] == (0.25, 0.25, 1.0, 0.5)
