"""Profiles that make the hosts stricter, over the real HTTPS and SSH wire: no DHCP, a shutdown
that times out, an old lxc-pve breaking Docker, a rotated template index, storage that cannot
snapshot; plus what every host does: rollback with start=1 and `pct exec`'s environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from proxmoxer.core import ResourceException
from sim_helpers import TEMPLATE, create_ct, px_token, wait, wait_until
from ssh_helpers import connect, new_ct, run

from pvesim.server import Simulator

ROTATED_OUT = "alpine-3.22-default_20250617_amd64.tar.xz"
RUNC = b"open sysctl net.ipv4.ip_unprivileged_port_start file: reopen fd 8: permission denied"
COMPOSE = b"services:\n  web:\n    image: nginx:1.29\n"


@pytest.fixture(scope="module")
def strict() -> Iterator[Simulator]:
    profiles = "no-dhcp,slow-shutdown,docker-runc-broken,template-rotated"
    with Simulator(time_scale=0, seed=3, profiles=profiles) as s:
        yield s


@pytest.fixture(scope="module")
def dirsim() -> Iterator[Simulator]:
    with Simulator(time_scale=0, seed=3, profiles="dir-storage") as s:
        yield s


def _log(px, node: str, upid: str) -> list[str]:
    return [line["t"] for line in px.nodes(node).tasks(upid).log.get(limit=500)]


def test_no_dhcp_leaves_eth0_without_ipv4_but_static_works(strict):
    px = px_token(strict.info)
    new_ct(px, "pve1", 300)
    eth0 = {i["name"]: i for i in px.nodes("pve1").lxc(300).interfaces.get()}["eth0"]
    assert "inet" not in eth0 and eth0["inet6"].startswith("fe80::")
    static = "name=eth0,bridge=vmbr0,ip=192.168.7.50/26,gw=192.168.7.1"
    new_ct(px, "pve1", 301, net0=static)
    eth0 = {i["name"]: i for i in px.nodes("pve1").lxc(301).interfaces.get()}["eth0"]
    assert eth0["inet"] == "192.168.7.50/26"


def test_slow_shutdown_fails_its_task_and_force_stop_ends_it(strict):
    px = px_token(strict.info)
    new_ct(px, "pve1", 302)
    ct = px.nodes("pve1").lxc(302)
    status = wait(px, "pve1", ct.status.shutdown.post(timeout=5))
    assert status["exitstatus"] == "container did not stop"
    log = _log(px, "pve1", status["upid"])
    assert "command 'lxc-stop -n 302 --nokill --timeout 5' failed: got timeout" in log
    assert log[-1] == "TASK ERROR: container did not stop"
    assert ct.status.current.get()["status"] == "running"
    assert wait(px, "pve1", ct.status.shutdown.post(forceStop=1))["exitstatus"] == "OK"
    assert ct.status.current.get()["status"] == "stopped"


async def test_old_lxc_pve_breaks_docker_run_and_compose(strict):
    info = strict.info
    px = px_token(info)
    # no DHCP on this host: a static address, or apk cannot reach its mirror
    new_ct(
        px,
        "pve1",
        303,
        start=False,
        net0="name=eth0,bridge=vmbr0,ip=192.168.7.51/24,gw=192.168.7.1",
    )
    script = (
        "apk update >/dev/null && apk add docker docker-cli-compose >/dev/null"
        " && service docker start >/dev/null && docker run --rm hello-world"
    )
    async with await connect(info, "pve1") as conn:
        await run(conn, "pct", "set", 303, "-features", "nesting=1,keyctl=1")
        assert (await run(conn, "pct", "start", 303)).exit_status == 0
        result = await run(conn, "pct", "exec", 303, "--", "sh", "-c", script)
        assert result.exit_status == 126
        assert RUNC in result.stderr
        compose = "mkdir -p /opt/w && cd /opt/w && cat > compose.yaml && docker compose up -d"
        up = await run(conn, "pct", "exec", 303, "--", "sh", "-c", compose, stdin=COMPOSE)
        assert up.exit_status != 0 and RUNC in up.stderr
    lxc = next(p for p in px.nodes("pve1").apt.versions.get() if p["Package"] == "lxc-pve")
    assert lxc["OldVersion"] == "6.0.5-1"


def test_rotated_index_lists_only_the_newer_alpine(strict):
    px = px_token(strict.info)
    names = [a["template"] for a in px.nodes("pve2").aplinfo.get()]
    assert ROTATED_OUT not in names
    assert any(n.startswith("alpine-3.23-default_2026") for n in names)
    with pytest.raises(ResourceException) as exc:
        px.nodes("pve2").aplinfo.post(storage="local", template=ROTATED_OUT)
    assert exc.value.status_code == 400 and exc.value.errors == {"template": "no such template"}
    # the copy pve1 downloaded earlier is still in its storage
    volids = [v["volid"] for v in px.nodes("pve1").storage("local").content.get(content="vztmpl")]
    assert TEMPLATE in volids


def test_dir_storage_cannot_snapshot_and_backs_up_by_suspend(dirsim):
    px = px_token(dirsim.info)
    storages = {s["storage"]: s for s in px.nodes("pve1").storage.get()}
    assert set(storages) == {"local"} and storages["local"]["type"] == "dir"
    assert "rootdir" in storages["local"]["content"]
    assert [s["type"] for s in px.storage.get()] == ["dir"]
    status = create_ct(px, "pve1", 310, rootfs="local:4")
    assert status["exitstatus"] == "OK"
    ct = px.nodes("pve1").lxc(310)
    assert ct.config.get()["rootfs"].startswith("local:310/vm-310-disk-0.raw,")
    wait(px, "pve1", ct.status.start.post())
    snap = wait(px, "pve1", ct.snapshot.post(snapname="before"))
    assert snap["exitstatus"] == "snapshot feature is not available"
    assert [s["name"] for s in ct.snapshot.get()] == ["current"]
    with pytest.raises(ResourceException, match="only possible from a snapshot"):
        ct.clone.post(newid=311)
    backup = wait(px, "pve1", px.nodes("pve1").vzdump.post(vmid="310", storage="local"))
    assert backup["exitstatus"] == "OK"
    log = _log(px, "pve1", backup["upid"])
    i = log.index("INFO: mode failure - some volumes do not support snapshots")
    assert log[i + 1 : i + 3] == [
        "INFO: trying 'suspend' mode instead",
        "INFO: backup mode: suspend",
    ]


def test_rollback_with_start_starts_in_a_task_of_its_own(sim, px):
    new_ct(px, "pve1", 320)
    ct = px.nodes("pve1").lxc(320)
    wait(px, "pve1", ct.snapshot.post(snapname="s1"))
    rollback = wait(px, "pve1", ct.snapshot("s1").rollback.post(start=1))
    assert rollback["exitstatus"] == "OK"
    assert not any("vzstart" in line for line in _log(px, "pve1", rollback["upid"]))
    starts = [
        t for t in px.nodes("pve1").tasks.get(vmid=320, source="all") if t["type"] == "vzstart"
    ]
    assert len(starts) == 2 and starts[0]["starttime"] >= rollback["starttime"]
    wait_until(lambda: ct.status.current.get()["status"] == "running")


async def test_pct_exec_keeps_the_callers_environment(sim, info, px):
    new_ct(px, "pve1", 330)
    async with await connect(info, "pve1") as conn:
        kept = await conn.run("SECRET_TOKEN=abc pct exec 330 -- env", encoding=None)
        lines = kept.stdout.decode().splitlines()
        assert "SECRET_TOKEN=abc" in lines and "container=lxc" in lines
        assert "HOME=/root" in lines and "SHELL=/bin/bash" in lines
        sent = await conn.run("pct exec 330 -- env", env={"LC_SECRET": "x", "FOO": "y"})
        assert "LC_SECRET=x" in sent.stdout and "FOO=y" not in sent.stdout  # AcceptEnv LANG LC_*
        clear = await conn.run("SECRET_TOKEN=abc pct exec 330 --keep-env 0 -- env", encoding=None)
        assert sorted(clear.stdout.decode().splitlines()) == [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "container=lxc",
        ]
        minimal = await conn.run(
            "SECRET_TOKEN=abc env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin pct exec 330 -- env"
        )
        assert sorted(minimal.stdout.splitlines()) == [
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            "container=lxc",
        ]


def test_nfs_storage_is_shared_and_cannot_snapshot():
    with Simulator(time_scale=0, profiles="nfs-storage") as s:
        px = px_token(s.info)
        listed = {st["storage"]: st for st in px.nodes("pve2").storage.get()}
        assert (listed["nfs-ct"]["type"], listed["nfs-ct"]["shared"]) == ("nfs", 1)
        assert "local-lvm" not in listed
        config = {st["storage"]: st for st in px.storage.get()}["nfs-ct"]
        assert (config["server"], config["export"], config["content"]) == (
            "192.168.1.20",
            "/export/pve",
            "rootdir,images",
        )
        assert create_ct(px, "pve1", 312, rootfs="nfs-ct:2")["exitstatus"] == "OK"
        snap = wait(px, "pve1", px.nodes("pve1").lxc(312).snapshot.post(snapname="s1"))
        assert snap["exitstatus"] == "snapshot feature is not available"


def test_a_shared_nfs_storage_shows_the_same_volumes_on_every_node(tmp_path):
    state = tmp_path / "state.json"
    for _ in range(2):  # and again after a restart from the state file
        with Simulator(time_scale=0, profiles="nfs-storage", state_file=state) as s:
            px = px_token(s.info)
            on = {n: {v["volid"] for v in px.nodes(n).storage("nfs-ct").content.get()}
                  for n in ("pve1", "pve3")}  # fmt: skip
            assert on["pve1"] == on["pve3"] and "nfs-ct:102/vm-102-disk-0.raw" in on["pve3"]
