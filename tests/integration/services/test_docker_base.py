"""The node's Docker-ready base (issue 19): built by the first deploy on a node, cloned by the
next ones, never an app, rebuilt when outdated; a failed clone deploy leaves nothing behind.
Against the simulator over HTTPS and SSH (time scale 0) with a real SQLite file."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ProximityError
from proximity_tui.services.docker_base import BASE_TAG, RECIPE
from proximity_tui.services.events import LOG
from pvesim.faults import FaultRule
from tests.integration.services.conftest import bases_on, guests_named
from tests.pvesim.sim_helpers import wait_until

NODE = "pve2"


def _bases(sim, node: str = NODE) -> list:
    return bases_on(sim, node)


def _logs(services) -> list[str]:
    seen: list[str] = []
    services.apps.events.subscribe(lambda e: seen.append(e.message) if e.kind == LOG else None)
    return seen


def _requests(sim, key: str) -> int:
    return sim.stats.get(key)


@pytest.fixture
def no_base(sim):
    """The node starts without a base (the module's simulator is shared by its tests)."""

    def drop():
        for vmid in [
            v for v, g in sim.state.guests.items() if BASE_TAG in g.config.get("tags", "")
        ]:
            del sim.state.guests[vmid]

    sim.call(drop)


def test_first_deploy_builds_the_base_and_the_second_clones_it(sim, services, hostname, no_base):
    logs = _logs(services)
    first = services.call(services.apps.deploy_app("whoami", hostname, node=NODE))
    assert first.status == "running"
    assert any("building the Docker-ready base of pve2" in m for m in logs)
    [(base_vmid, conf)] = _bases(sim)
    assert conf.get("template") == 1 and conf["tags"] == BASE_TAG
    description = conf["description"]
    assert f"proximity-base: {RECIPE}" in description and "app-id" not in description
    for key in ("alpine: 3.", "docker: 2", "compose: 2", "os-template: alpine-3.", "lxc-pve: 6"):
        assert key in description
    assert first.vmid != base_vmid
    # Its dockerd starts at boot, beside the DHCP lease, not after it (DOCKER_AT_BOOT).
    openrc = sim.call(lambda: sim.state.guests[base_vmid].inside.fs.read("/etc/conf.d/docker"))
    assert 'rc_need="!net"' in openrc.decode().splitlines()

    creates = _requests(sim, "POST /nodes/{node}/lxc")
    logs.clear()
    second = services.call(services.apps.deploy_app("whoami", hostname + "b", node=NODE, disk=3))
    assert second.status == "running"
    assert _requests(sim, "POST /nodes/{node}/lxc") == creates  # cloned, not created
    assert any(f"linked clone of base CT {base_vmid}" in m for m in logs)
    assert any("Docker came with the base" in m for m in logs)
    [guest] = guests_named(sim, hostname + "b")
    assert guest.config["tags"] == "proximity" and "template" not in guest.config
    assert f"app-id: {second.id}" in guest.config["description"]
    assert guest.config["rootfs"].endswith("size=3G") and guest.config["onboot"] == 1
    assert "keyctl=1" in guest.config["features"]
    # The base is no app and no orphan; only the two apps are listed.
    snapshot = services.call(services.monitor.tick())
    assert base_vmid not in {a.vmid for a in snapshot.apps.values()}
    assert base_vmid not in {o.vmid for o in snapshot.orphans}
    assert {a.id for a in services.call(services.apps.list_apps())} == {first.id, second.id}
    assert [vmid for vmid, _ in _bases(sim)] == [base_vmid]
    checks = {c.name: c for c in services.call(services.doctor()).checks}
    base_check = checks["docker base: pve2"]
    assert base_check.status == "ok" and f"CT {base_vmid} on pve2" in base_check.detail
    assert "current" in base_check.detail


def test_an_outdated_base_is_rebuilt_and_the_old_one_removed(sim, services, hostname):
    services.call(services.apps.deploy_app("whoami", hostname, node=NODE))
    [(old, _)] = _bases(sim)

    def age():
        g = sim.state.guests[old]
        g.config["description"] = g.config["description"].replace(
            f"proximity-base: {RECIPE}", "proximity-base: 0"
        )

    sim.call(age)
    check = {c.name: c for c in services.call(services.doctor()).checks}["docker base: pve2"]
    assert check.status == "warn" and "recipe 0 is not the current" in check.detail
    assert "proximity-tui prepare pve2" in check.fix
    logs = _logs(services)
    app = services.call(services.apps.deploy_app("whoami", hostname + "b", node=NODE))
    assert app.status == "running"
    assert any(f"base CT {old} is outdated: recipe 0" in m for m in logs)
    assert any(f"removed the outdated base CT {old}" in m for m in logs)
    [(new, conf)] = _bases(sim)
    assert new != old and f"proximity-base: {RECIPE}" in conf["description"]


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule(task="vzclone", task_error="clone failed: disk full"),
        FaultRule(task="resize", task_error="resize2fs: No space left on device"),
        FaultRule(command=r"compose .* pull", exit_status=18, stderr="manifest unknown"),
    ],
    ids=["clone", "resize", "compose"],
)
def test_a_failed_clone_deploy_leaves_no_orphan(sim, services, faults, hostname, rule):
    services.call(services.apps.deploy_app("whoami", hostname, node=NODE))
    [(base_vmid, _)] = _bases(sim)
    faults.add(rule)
    with pytest.raises(ProximityError):  # disk=2: larger than the base's, the clone grows
        services.call(services.apps.deploy_app("whoami", hostname + "b", node=NODE, disk=2))
    assert guests_named(sim, hostname + "b") == []
    assert [vmid for vmid, _ in _bases(sim)] == [base_vmid]  # the base stays, intact
    assert {a.hostname for a in services.call(services.apps.list_apps())} == {hostname}


def test_a_clone_grows_its_disk_while_it_boots(sim, services, faults, hostname):
    """The resize runs online, beside the wait for the lease (API2/LXC.pm resize_vm on a
    running CT), not before the start: held, it finds the CT running and the deploy waiting."""
    services.call(services.apps.deploy_app("whoami", hostname, node=NODE))  # the base exists
    gate = faults.hold(task="resize")
    deploy = services.runtime.submit(
        services.apps.deploy_app("whoami", hostname + "g", node=NODE, disk=3)
    )
    assert gate.wait_until(lambda g: g.holding == 1, timeout=60)
    [guest] = guests_named(sim, hostname + "g")
    assert guest.status == "running" and guest.config["rootfs"].endswith("size=1G")
    assert not deploy.done()
    gate.open()
    assert deploy.result(timeout=120).status == "running"
    [guest] = guests_named(sim, hostname + "g")
    assert guest.config["rootfs"].endswith("size=3G")


def test_a_failed_base_build_leaves_neither_base_nor_app(sim, services, faults, hostname):
    faults.add(FaultRule(command=r"apk add", exit_status=1, stderr="ERROR: no such package"))
    with pytest.raises(ProximityError, match="template failed"):
        services.call(services.apps.deploy_app("whoami", hostname, node="pve3"))
    assert _bases(sim, "pve3") == []
    assert guests_named(sim, hostname) == []
    assert services.call(services.apps.list_apps()) == []


def test_two_deploys_cloning_the_base_at_once_both_succeed(sim, services, faults, hostname):
    """clone_vm locks its source for the copy: the second deploy's clone is refused "CT is
    locked (disk)" while the first one's runs, and must wait for it rather than fail."""
    services.call(services.apps.deploy_app("whoami", hostname, node=NODE))  # the base exists
    logs = _logs(services)
    gate = faults.hold(task="vzclone")
    first = services.runtime.submit(services.apps.deploy_app("whoami", hostname + "c", node=NODE))
    assert gate.wait_until(lambda g: g.holding == 1, timeout=60)
    second = services.runtime.submit(services.apps.deploy_app("whoami", hostname + "d", node=NODE))
    wait_until(lambda: any("is busy (CT is locked" in m for m in logs) or second.done())
    assert not second.done(), second.exception()  # refused while the first clone runs: waits
    gate.open()
    assert first.result(timeout=120).status == "running"
    assert second.result(timeout=120).status == "running"
