"""One truth across the cluster (issue 18): two instances with their own databases against ONE
simulated cluster converge through `adopt`; a lost database is rebuilt from the CTs' identity
blocks. Real SQLite files, the simulator over HTTPS and SSH."""

from __future__ import annotations

import json

import pytest

from proximity_tui.errors import BusyError, PermissionDenied, ProximityError
from proximity_tui.services.identity import Identity, description_for
from proximity_tui.store import repositories as repo
from tests.integration.services.conftest import make_services


@pytest.fixture
def pair(sim, faults, tmp_path):
    a = make_services(sim, tmp_path, name="a.sqlite")
    b = make_services(sim, tmp_path, name="b.sqlite")
    yield a, b
    for svc in (a, b):
        svc.close(wait=30)


def listing(services) -> dict[str, tuple]:
    apps = services.call(services.apps.list_apps())
    return {a.hostname: (a.id, a.vmid, a.node, a.catalog_id, a.url) for a in apps}


def ct_description(sim, vmid: int) -> str:
    return sim.call(lambda: sim.state.find_ct(vmid).config.get("description", ""))


def test_two_instances_converge_operate_and_see_deletes(sim, pair, hostname):
    a, b = pair
    vault = a.call(a.apps.deploy_app("vaultwarden", f"{hostname}-v"))
    who = a.call(a.apps.deploy_app("whoami", f"{hostname}-w"))
    secrets = a.call(a.apps.records.secret_values(vault.id))
    assert secrets

    plan = b.call(b.apps.plan_adoption())
    found = {f.hostname: f for f in plan.adopt}
    assert {vault.hostname, who.hostname} <= set(found)
    assert not plan.conflicts
    # Values only A's database holds are reported unknown, never invented.
    assert "ADMIN_TOKEN" in found[vault.hostname].unknown_env
    result = b.call(b.apps.adopt(plan))
    assert {vault.id, who.id} <= set(result["adopted"]) and result["refused"] == {}
    mine = {vault.hostname, who.hostname}
    assert {h: v for h, v in listing(b).items() if h in mine} == {
        h: v for h, v in listing(a).items() if h in mine
    }
    adopted = b.call(b.apps.get_app(vault.id))
    assert adopted.status == "running" and adopted.owner == a.user.username
    assert adopted.environment == {} and adopted.config["environment_unknown"]
    # Nothing secret reached B through the cluster.
    with open(b.db.path, "rb") as f:
        data = f.read()
    assert not any(s.encode() in data for s in secrets)
    # A second adopt finds nothing new.
    again = b.call(b.apps.plan_adoption())
    assert not {f.hostname for f in again.adopt} & mine and again.known >= 2

    # Operate from both: B stops, A starts again.
    assert b.call(b.apps.stop_app(who.id)).status == "stopped"
    assert a.call(a.monitor.tick()).apps[who.id].status == "stopped"
    assert a.call(a.apps.start_app(who.id)).status == "running"

    # Conflicting operations: A's update holds the CT (its snapshot task has Proxmox's lock);
    # B's stop is refused by Proxmox, A's own second operation at once by the per-app check.
    gate = sim.faults.hold(task="vzsnapshot")
    op = a.runtime.submit(a.apps.update_app(who.id))
    assert gate.wait_until(lambda g: g.holding >= 1)
    with pytest.raises(ProximityError, match="lock"):
        b.call(b.apps.stop_app(who.id))
    with pytest.raises(BusyError):
        a.call(a.apps.stop_app(who.id))
    gate.open()
    assert op.result(timeout=60).status == "running"
    assert sim.call(lambda: sim.state.find_ct(who.vmid).status) == "running"

    # Delete on A: B marks the app gone (missing) at its next look at the cluster.
    a.call(a.apps.delete_app(who.id))
    assert b.call(b.monitor.tick()).apps[who.id].status == "missing"
    assert b.call(b.apps.get_app(who.id)).status == "missing"

    for vmid in (vault.vmid,):
        assert not any(s in ct_description(sim, vmid) for s in secrets)


def test_the_database_lost_mid_life_is_rebuilt_by_adopt(sim, faults, tmp_path, hostname):
    first = make_services(sim, tmp_path, name="lost.sqlite")
    apps = [
        first.call(first.apps.deploy_app("vaultwarden", f"{hostname}-v")),
        first.call(first.apps.deploy_app("whoami", f"{hostname}-w")),
    ]
    first.call(first.apps.stop_app(apps[1].id))
    copy = first.call(first.apps.clone_app(apps[0].id, f"{hostname}-c"))
    before = {a.hostname: (a.id, a.vmid, a.node, a.status, a.url) for a in [*apps, copy]}
    before[apps[1].hostname] = (*before[apps[1].hostname][:3], "stopped", apps[1].url)
    secrets = [s for a in (*apps, copy) for s in first.call(first.apps.records.secret_values(a.id))]
    db_path = first.db.path
    first.close(wait=30)
    for suffix in ("", "-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)

    second = make_services(sim, tmp_path, name="lost.sqlite")
    try:
        assert second.call(second.apps.list_apps()) == []
        plan = second.call(second.apps.plan_adoption())
        result = second.call(second.apps.adopt(plan))
        assert result["refused"] == {}
        listed = {a.hostname: a for a in second.call(second.apps.list_apps())}
        for name, (app_id, vmid, node, status, url) in before.items():
            app = listed[name]
            assert (app.id, app.vmid, app.node, app.status) == (app_id, vmid, node, status)
            if status == "running":
                assert app.url == url
        # The clone's compose project is its source's: the block told where.
        assert listed[copy.hostname].config["compose_file"] == (
            f"/opt/proximity/{apps[0].hostname}/compose.yaml"
        )
        # Operations run on the adopted apps.
        stopped = apps[1]
        started = second.call(second.apps.start_app(stopped.id))
        assert started.status == "running" and started.url
        assert second.call(second.apps.restart_app(copy.id)).status == "running"
        second.call(second.apps.update_app(apps[0].id))
        second.call(second.apps.delete_app(copy.id))
        assert sim.call(lambda: sim.state.guests.get(copy.vmid)) is None
        for app in (*apps, copy):
            guest = sim.call(lambda v=app.vmid: sim.state.guests.get(v))
            if guest is not None:
                text = guest.config.get("description", "")
                assert not any(s in text for s in secrets)
    finally:
        second.close(wait=30)


def test_untagged_or_blockless_cts_need_explicit_flags_and_conflicts_are_listed(
    sim, faults, tmp_path, hostname
):
    services = make_services(sim, tmp_path, name="flags.sqlite")
    other = make_services(sim, tmp_path, name="other.sqlite")
    try:
        client = services.client
        template = "local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz"

        def create(vmid: int, name: str, **extra) -> None:
            upid = services.call(
                client.create_ct(
                    "pve1", vmid=vmid, hostname=name, ostemplate=template, rootfs="local-lvm:4",
                    net0="name=eth0,bridge=vmbr0,ip=dhcp", **extra,
                )
            )  # fmt: skip
            services.call(client.wait_task(upid))

        create(4801, f"{hostname}-t", tags="proximity")  # tagged, no block
        create(4802, f"{hostname}-u")  # untagged, no block
        # Two CTs whose blocks claim the same hostname: a conflict, none adopted.
        same = Identity(f"whoami-{hostname}-d", "whoami", f"{hostname}-d")
        create(4803, f"{hostname}-d", tags="proximity", description=description_for(same))
        create(4804, f"{hostname}-d", tags="proximity", description=description_for(same))
        # A base template tagged and described like an app is never adopted.
        create(4805, f"{hostname}-b", tags="proximity", description=description_for(
            Identity(f"whoami-{hostname}-b", "whoami", f"{hostname}-b")))  # fmt: skip
        upid = services.call(client.request("POST", "nodes", "pve1", "lxc", 4805, "template"))
        if upid:
            services.call(client.wait_task(upid))

        plan = services.call(services.apps.plan_adoption())
        skipped = {s.vmid: s.reason for s in plan.skipped}
        assert "--catalog-id ID 4801" in skipped[4801]
        assert 4802 not in skipped and 4802 not in {f.vmid for f in plan.adopt}
        assert {c.vmid for c in plan.conflicts} >= {4803, 4804}
        assert "template" in skipped[4805]
        assert not {f.vmid for f in plan.adopt} & {4801, 4802, 4803, 4804, 4805}

        # Explicit: a catalog id and the vmids; untagged only with --untagged as well.
        plan = services.call(services.apps.plan_adoption(catalog_id="whoami", vmids=(4801, 4802)))
        assert [f.vmid for f in plan.adopt] == [4801]
        assert "--untagged" in {s.vmid: s.reason for s in plan.skipped}[4802]
        plan = services.call(
            services.apps.plan_adoption(catalog_id="whoami", vmids=(4801, 4802), untagged=True)
        )
        assert [f.app_id for f in plan.adopt] == [f"whoami-{hostname}-t", f"whoami-{hostname}-u"]
        assert services.call(services.apps.adopt(plan))["adopted"] == [f.app_id for f in plan.adopt]

        # A viewer (and a read-only session) may plan, never adopt: nothing is recorded.
        other.apps.read_only = True
        plan = other.call(other.apps.plan_adoption(catalog_id="whoami", vmids=(4801,)))
        assert [f.vmid for f in plan.adopt] == [4801]
        with pytest.raises(PermissionDenied):
            other.call(other.apps.adopt(plan))
        assert other.call(other.apps.list_apps()) == []
    finally:
        services.close(wait=30)
        other.close(wait=30)


def test_read_env_takes_the_environment_from_a_running_ct(sim, pair, hostname):
    a, b = pair
    vault = a.call(a.apps.deploy_app("vaultwarden", f"{hostname}-v"))
    stopped = a.call(a.apps.deploy_app("vaultwarden", f"{hostname}-s"))
    a.call(a.apps.stop_app(stopped.id))
    with a.db.session(readonly=True) as s:
        env = dict(repo.get_app(s, vault.id).environment)
    secret = env["ADMIN_TOKEN"]

    plan = b.call(b.apps.plan_adoption(vmids=(vault.vmid, stopped.vmid), read_env=True))
    found = {f.vmid: f for f in plan.adopt}
    assert found[vault.vmid].unknown_env == ()
    assert "ADMIN_TOKEN" in found[stopped.vmid].unknown_env  # stopped: its .env is not read
    assert secret not in json.dumps(plan.to_json()) and secret not in repr(plan)
    b.call(b.apps.adopt(plan))
    with b.db.session(readonly=True) as s:
        assert dict(repo.get_app(s, vault.id).environment) == env
        assert dict(repo.get_app(s, stopped.id).environment) == {}
    assert b.call(b.apps.reveal_secret(vault.id, "ADMIN_TOKEN")) == secret
    assert b.call(b.apps.get_app(vault.id)).environment["ADMIN_TOKEN"] != secret  # masked
    journal = b.call(b.apps.operations())[0]
    assert journal.kind == "adopt" and secret not in json.dumps(journal.__dict__, default=str)
