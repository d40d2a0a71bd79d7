"""Cloning to another node as pve-container's clone_vm allows it (`src/PVE/API2/LXC.pm`): only
from shared storage (or onto a shared `storage`), to a node of the cluster; the copy's config
moves to the target once the copy is done."""

from __future__ import annotations

import pytest
from proxmoxer.core import ResourceException
from sim_helpers import create_ct, px_token, wait

from pvesim.server import Simulator


def _ids(px, node: str) -> set[int]:
    return {int(c["vmid"]) for c in px.nodes(node).lxc.get()}


def test_local_storage_refuses_a_clone_to_another_node_and_leaves_nothing(px):
    assert create_ct(px, "pve1", 400)["exitstatus"] == "OK"
    ct = px.nodes("pve1").lxc(400)
    cases = [
        ({"target": "nosuch"}, "no such cluster node 'nosuch'"),
        ({"target": "pve2"}, r"can't clone CT to node 'pve2' \(CT uses local storage\)"),
        ({"target": "pve2", "storage": "local-lvm"}, "can't clone to non-shared storage"),
        ({"target": "pve2", "storage": "nfs"}, "storage 'nfs' does not exist"),
    ]
    for params, message in cases:
        with pytest.raises(ResourceException, match=message) as caught:
            ct.clone.post(newid=401, hostname="away", **params)
        assert caught.value.status_code == 500
        assert 401 not in _ids(px, "pve1") | _ids(px, "pve2")
    assert "lock" not in ct.config.get()  # the refusal left the source unlocked

    # The source's own node as target is no target at all (clone_vm: `undef $target if ...`).
    assert wait(px, "pve1", ct.clone.post(newid=401, target="pve1"))["exitstatus"] == "OK"
    assert 401 in _ids(px, "pve1")


def test_running_source_is_refused_for_the_snapshot_first(px):
    assert create_ct(px, "pve1", 410, start=1)["exitstatus"] == "OK"
    with pytest.raises(ResourceException, match="only possible from a snapshot"):
        px.nodes("pve1").lxc(410).clone.post(newid=411, target="pve2")


def test_shared_storage_clones_to_the_target_node():
    with Simulator(nodes=2, time_scale=0, profiles=["nfs-storage"]) as sim:
        px = px_token(sim.info)
        assert create_ct(px, "pve1", 420, rootfs="nfs-ct:4")["exitstatus"] == "OK"
        upid = px.nodes("pve1").lxc(420).clone.post(newid=421, hostname="moved", target="pve2")
        assert upid.startswith("UPID:pve1:")  # the task runs where the source is
        assert wait(px, "pve1", upid)["exitstatus"] == "OK"
        assert 421 in _ids(px, "pve2") and 421 not in _ids(px, "pve1")
        copy = px.nodes("pve2").lxc(421).config.get()
        assert copy["hostname"] == "moved" and copy["rootfs"].startswith("nfs-ct:")
        assert "lock" not in copy
        start = px.nodes("pve2").lxc(421).status.start.post()
        assert wait(px, "pve2", start)["exitstatus"] == "OK"
        with pytest.raises(ResourceException, match="does not exist"):
            px.nodes("pve1").lxc(421).config.get()


def test_an_offline_node_is_listed_offline_and_answers_no_call(sim, px):
    sim.set_node_online("pve3", False)
    try:
        (entry,) = [n for n in px.nodes.get() if n["node"] == "pve3"]
        assert entry["status"] == "offline" and "mem" not in entry and "maxmem" in entry
        (res,) = [r for r in px.cluster.resources.get(type="node") if r["node"] == "pve3"]
        assert res["status"] == "offline" and "cpu" not in res
        with pytest.raises(ResourceException) as caught:
            px.nodes("pve3").lxc.get()
        assert caught.value.status_code == 595
    finally:
        sim.set_node_online("pve3")
    assert px.nodes("pve3").lxc.get() is not None
