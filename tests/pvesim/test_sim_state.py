"""The cluster state from Python: what the SSH side calls, persistence, scale, and time."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sim_helpers import create_ct, px_token, wait

from pvesim.clock import Clock
from pvesim.errors import PveError
from pvesim.server import Simulator


def test_fresh_cluster_shape(sim):
    state = sim.state
    assert list(state.nodes) == ["pve1", "pve2", "pve3"]
    assert len({n.maxmem for n in state.nodes.values()}) == 3
    for node in state.nodes.values():
        assert node.storages["local"].content == ("vztmpl", "iso", "backup")
        assert node.storages["local-lvm"].content == ("rootdir", "images")
    templates = [v for v in state.nodes["pve1"].storages["local"].volumes if "vztmpl" in v]
    assert templates == ["local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz"]
    assert {g.type for g in state.guests.values()} == {"lxc", "qemu"}
    media = state.find_ct(104)
    assert "before-upgrade" in media.snapshots and media.config["parent"] == "before-upgrade"
    assert state.find_ct(100) is None  # a VM


def test_ops_for_the_ssh_side(sim):
    state = sim.state

    async def scenario():
        task = await state.ct_action("pve3", 103, "start", "root@pam")
        await state.wait_task(task)
        assert task.exitstatus == "OK" and state.find_ct(103).status == "running"
        with pytest.raises(PveError) as err:
            await state.ct_action("pve3", 103, "start", "root@pam")
        assert (err.value.status, err.value.message) == (500, "CT 103 already running")
        await state.set_ct_config("pve3", 103, {"features": "nesting=1,keyctl=1"})
        ct = state.find_ct(103)
        assert "features" not in ct.config and ct.pending["features"] == "keyctl=1,nesting=1"
        task = await state.ct_action("pve3", 103, "stop", "root@pam")
        await state.wait_task(task)
        assert ct.status == "stopped" and ct.ip is None
        await state.set_ct_config("pve3", 103, {"features": "nesting=1,keyctl=1"})
        assert ct.config["features"] == "keyctl=1,nesting=1"
        with pytest.raises(PveError) as err:
            await state.set_ct_config("pve3", 103, {"cores": "0"})
        assert err.value.status == 400
        assert err.value.errors == {"cores": "value must have a minimum value of 1"}
        with pytest.raises(PveError) as err:
            await state.ct_action("pve1", 103, "start", "root@pam")
        assert err.value.message == "Configuration file 'nodes/pve1/lxc/103.conf' does not exist"

    sim.call(scenario)


def test_inside_follows_start_and_stop(sim, px):
    assert create_ct(px, "pve1", 600, start=1)["exitstatus"] == "OK"

    def look():
        ct = sim.state.find_ct(600)
        return ct.inside.booted, ct.inside.ostype, ct.inside.hostname

    assert sim.call(look) == (True, "alpine", "ct600")
    wait(px, "pve1", px.nodes("pve1").lxc(600).status.stop.post())
    assert sim.call(look)[0] is False


def test_state_file_round_trip(tmp_path):
    path = tmp_path / "state.json"
    with Simulator(time_scale=0, state_file=path) as first:
        px = px_token(first.info)
        assert create_ct(px, "pve1", 700, start=1, tags="proximity")["exitstatus"] == "OK"
        first.call(lambda: first.state.find_ct(700).inside.write_file("/root/note", b"kept"))
    assert path.stat().st_mode & 0o777 == 0o600
    saved = json.loads(path.read_text())
    assert any(g["vmid"] == 700 for g in saved["guests"])
    with Simulator(time_scale=0, state_file=path) as second:
        px = px_token(second.info)
        conf = px.nodes("pve1").lxc(700).config.get()
        assert conf["tags"] == "proximity"
        assert px.nodes("pve1").lxc(700).status.current.get()["status"] == "running"
        assert second.call(lambda: second.state.find_ct(700).inside.read_file("/root/note")) == (
            b"kept"
        )


def test_bad_state_file_is_refused(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"version": 99}')
    with pytest.raises(ValueError, match="unsupported simulator state file"):
        Simulator(time_scale=0, state_file=path).start()


def test_many_containers_start_fast_and_list_in_one_call():
    with Simulator(time_scale=0, containers=2000, preexisting=False) as big:
        vms = px_token(big.info).cluster.resources.get(type="vm")
        assert len(vms) == 2000
        assert {v["node"] for v in vms} == {"pve1", "pve2", "pve3"}
        # insides are made only when someone looks
        made = big.call(
            lambda: sum(g.inside_if_made is not None for g in big.state.guests.values())
        )
        assert made == 0


def test_time_scale_stretches_tasks():
    clock = Clock(0.05)
    with Simulator(clock=clock) as slow:
        px = px_token(slow.info)
        started = time.monotonic()
        upid = px.nodes("pve3").lxc(103).status.start.post()
        assert wait(px, "pve3", upid)["exitstatus"] == "OK"
        # A lower bound only (a busy machine takes longer, never shorter); whether the task is
        # still running at a later look would race it.
        assert time.monotonic() - started >= 1.5 * 0.05


def test_call_runs_on_the_loop(sim):
    def on_loop():
        return asyncio.get_running_loop() is not None

    assert sim.call(on_loop) is True


def test_resources_lag_like_pvestatd_when_time_runs():
    from pvesim.stats import tick

    with Simulator(time_scale=0.05, preexisting=False, nodes=1) as slow:
        px = px_token(slow.info)
        # pvestatd every 1000 simulated seconds: no round happens during the test on its own
        slow.set_statd_interval(1000.0)
        assert create_ct(px, "pve1", 900)["exitstatus"] == "OK"

        def entry():
            return {r["vmid"]: r for r in px.cluster.resources.get(type="vm")}[900]

        assert entry()["status"] == "unknown"  # pvestatd has not seen it yet
        assert wait(px, "pve1", px.nodes("pve1").lxc(900).status.start.post())["exitstatus"] == "OK"
        assert px.nodes("pve1").lxc(900).status.current.get()["status"] == "running"
        assert entry()["status"] == "unknown"
        slow.call(lambda: tick(slow.state, 10.0))  # one pvestatd round
        assert entry()["status"] == "running" and entry()["uptime"] >= 0
        wait(px, "pve1", px.nodes("pve1").lxc(900).status.stop.post())
        assert entry()["status"] == "running"  # stale until the next round
        slow.call(lambda: tick(slow.state, 10.0))
        assert entry()["status"] == "stopped"
