"""Operations × host profile: deploy, update, clone, backup and restore on every simulator
profile alone and on the strict combination. Each operation either works or fails early with the
doctor's named cause, and never leaves anything half-done: no CT without its app row, no row
without its CT, no row left `deploying`/`updating`/`error`, no leftover snapshot, and a journal
entry that says what happened (the cause, for a failure).

One simulator per profile (module fixture, time scale 0), the product's services in-process over
real HTTPS and SSH, a real SQLite file. No verdict depends on timing: every wait is for a state.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from proximity_tui.config import load_settings, write_config
from proximity_tui.errors import ProximityError
from proximity_tui.services.bootstrap import Services, build_services
from proximity_tui.services.containers import TAG
from proximity_tui.services.doctor.runner import run_doctor
from proximity_tui.services.setup import SetupNames, run_setup, write_setup_config
from pvesim.profiles import NAMES
from pvesim.server import Simulator

STRICT = ("privsep-token", "dir-storage", "no-dhcp")
PROFILES = [(name,) for name in NAMES] + [STRICT]
STATIC = {
    "deploy.network": "static",
    "deploy.addresses": "192.168.60.10-192.168.60.30/24",
    "deploy.gateway": "192.168.60.1",
}
RUNC_CAUSE = "Docker cannot start containers inside CTs on"
#: Where a deploy may fail on a host that refuses it, and what it must leave: nothing.
LIVE = ("running", "stopped")


@pytest.fixture(scope="module", params=PROFILES, ids=lambda p: "+".join(p))
def host(request):
    sim = Simulator(nodes=2, time_scale=0.0, seed=61, profiles=list(request.param))
    sim.start()
    yield set(request.param), sim
    sim.stop()


async def _services(sim: Simulator, profiles: set[str], tmp_path: Path) -> Services:
    """Services as a user of that host would configure them: on a privilege-separated token,
    the token `proximity-tui setup` makes (what the doctor prescribes); without DHCP, static
    addressing."""
    config = tmp_path / "config.toml"
    overrides = {"deploy.health_timeout": 5.0, "deploy.task_timeout": 30.0}
    if "no-dhcp" in profiles:
        overrides |= STATIC
    if "privsep-token" in profiles:
        write_config(config, sim.client_settings(auth="password"))
        root = load_settings(config, db_path=tmp_path / "db.sqlite", env={})
        plan, result = await run_setup(root, SetupNames())
        write_setup_config(config, plan, result)
    else:
        write_config(config, sim.client_settings(auth="token"))
    settings = load_settings(config, db_path=tmp_path / "db.sqlite", env={}, overrides=overrides)
    services = build_services(settings)
    await services.run(services.connect(monitor=False))
    return services


def _set_runc(sim: Simulator, broken: bool) -> None:
    """The host's lxc-pve gets (or loses) the fix, as an admin's `apt install` would."""

    def work():
        sim.state.profile = replace(sim.state.profile, runc_broken=broken)

    sim.call(work)


async def _assert_whole(services: Services, sim: Simulator) -> None:
    """Nothing half-done: every CT of ours has its row and every row its CT, every row is in a
    settled state, no CT of ours keeps a snapshot, and every operation ended."""
    apps = await services.run(services.apps.list_apps())
    rows = {a.vmid: a for a in apps}
    assert all(a.status in LIVE for a in apps), [(a.hostname, a.status) for a in apps]

    def ours():
        return {
            vmid: (g.name, sorted(g.snapshots))
            for vmid, g in sim.state.guests.items()
            if TAG in str(g.config.get("tags", "")).split(";")
        }

    cts = sim.call(ours)
    assert set(cts) == set(rows), (cts, sorted(rows))
    assert all(not snaps for _name, snaps in cts.values()), cts
    assert all(cts[v][0] == rows[v].hostname for v in cts)
    ops = await services.run(services.apps.operations())
    assert all(o.status in ("succeeded", "failed", "rolled_back") for o in ops)
    assert all(o.error for o in ops if o.status != "succeeded")


async def _last(services: Services, kind: str):
    ops = await services.run(services.apps.operations())
    return next(o for o in ops if o.kind == kind)


async def _refused(services: Services, sim: Simulator, call, kind: str, step: str) -> None:
    """The operation fails at its first step with the doctor's cause and fix, changing nothing."""
    before = await services.run(services.apps.list_apps())
    with pytest.raises(ProximityError, match=RUNC_CAUSE):
        await services.run(call)
    op = await _last(services, kind)
    assert (op.status, op.step) == ("failed", step), (op.status, op.step, op.error)
    assert "lxc-pve 6.0.5-1 is older than 6.0.5-2" in op.error
    assert "Fix: on pve1: apt update && apt install lxc-pve (>= 6.0.5-2" in op.error
    after = await services.run(services.apps.list_apps())
    assert [(a.id, a.status, a.vmid) for a in after] == [(a.id, a.status, a.vmid) for a in before]
    await _assert_whole(services, sim)


async def test_operations_work_or_fail_early(host, tmp_path):
    profiles, sim = host
    services = await _services(sim, profiles, tmp_path)
    apps = services.apps
    runc = "docker-runc-broken" in profiles
    try:
        # The doctor and the operations agree on the one cause this host has.
        report = await services.run(
            run_doctor(services.client, services.exec, services.settings, None)
        )
        lxc = [c for c in report.checks if c.name.startswith("lxc-pve")]
        assert {c.status for c in lxc} == ({"fail"} if runc or "pve7" in profiles else {"ok"})

        if runc:
            await _refused(
                services, sim, apps.deploy_app("whoami", "mx-a", node="pve1"), "deploy", "place"
            )
            _set_runc(sim, False)  # an app deployed before the CTs' runc moved to 1.3.3
        app = await services.run(apps.deploy_app("whoami", "mx-a", node="pve1"))
        assert app.status == "running"
        await _assert_whole(services, sim)
        if "pve7" in profiles:  # no fixed lxc-pve exists: the deploy goes on, saying so
            op = await services.run(apps.operation((await _last(services, "deploy")).id))
            assert any("no fixed lxc-pve exists" in e.message for e in op.events)
        if runc:
            _set_runc(sim, True)
            await _refused(services, sim, apps.update_app(app.id), "update", "snapshot")
            await _refused(services, sim, apps.clone_app(app.id, "mx-b"), "clone", "validate")
            await _refused(services, sim, apps.restart_app(app.id), "restart", "host")
        else:
            app = await services.run(apps.update_app(app.id))
            assert app.status == "running"
            assert (await _last(services, "update")).result["method"] in ("snapshot", "backup")
            await _assert_whole(services, sim)
            copy = await services.run(apps.clone_app(app.id, "mx-b"))
            assert copy.status == "running" and copy.vmid != app.vmid
            await _assert_whole(services, sim)

        backup = await services.run(apps.backup_app(app.id))  # vzdump needs no Docker
        assert backup.volid
        await _assert_whole(services, sim)
        if runc:
            await _refused(services, sim, apps.restore_app(app.id, backup.volid), "restore", "stop")
            _set_runc(sim, False)
        restored = await services.run(apps.restore_app(app.id, backup.volid))
        assert restored.status == "running"
        await _assert_whole(services, sim)

        for each in await services.run(apps.list_apps()):
            await services.run(apps.delete_app(each.id))
        await _assert_whole(services, sim)
        assert await services.run(apps.list_apps()) == []
    finally:
        services.close(wait=30)


async def test_no_dhcp_answer_fails_cleanly_and_the_doctor_names_it(tmp_path):
    """Without static addressing a deploy on a bridge without DHCP fails at the network step
    with the bridge named, leaves nothing, and the doctor then reports it with the fix."""
    sim = Simulator(nodes=1, time_scale=0.0, seed=62, profiles=["no-dhcp"])
    sim.start()
    try:
        config = tmp_path / "config.toml"
        write_config(config, sim.client_settings(auth="token"))
        settings = load_settings(
            config,
            db_path=tmp_path / "db.sqlite",
            env={},
            overrides={"deploy.dhcp_timeout": 1.0, "deploy.task_timeout": 30.0},
        )
        services = build_services(settings)
        try:
            await services.run(services.connect(monitor=False))
            with pytest.raises(ProximityError, match="no DHCP answer on vmbr0"):
                await services.run(services.apps.deploy_app("whoami", "nodhcp"))
            op = await _last(services, "deploy")
            # the node's Docker-ready base is built first, and its CT is the first to wait
            assert op.status == "failed" and op.step in {"template", "network"}
            await _assert_whole(services, sim)
            report = await services.run(
                run_doctor(services.client, services.exec, settings, services.journal)
            )
            (dhcp,) = report.named("dhcp")
            assert dhcp.status == "fail" and "static" in dhcp.fix
        finally:
            services.close(wait=30)
    finally:
        sim.stop()
