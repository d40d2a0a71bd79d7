"""Templates and linked clones as pve-container and pve-storage do them (ops_template.py)."""

from __future__ import annotations

import pytest
from proxmoxer.core import ResourceException
from sim_helpers import create_ct, px_token, wait, wait_until

from pvesim.server import Simulator


def _template_task(px, node: str, vmid: int) -> dict:
    tasks = px.nodes(node).tasks.get(vmid=vmid, typefilter="vztemplate", source="all")
    assert tasks, "no vztemplate task"
    return tasks[0]


def test_template_refusals_then_conversion(px):
    assert create_ct(px, "pve1", 300, start=1)["exitstatus"] == "OK"
    ct = px.nodes("pve1").lxc(300)
    with pytest.raises(ResourceException, match="if the CT is running"):
        ct.template.post()
    assert wait(px, "pve1", ct.status.stop.post())["exitstatus"] == "OK"
    assert wait(px, "pve1", ct.snapshot.post(snapname="s1"))["exitstatus"] == "OK"
    with pytest.raises(ResourceException, match="because CT contains snapshots"):
        ct.template.post()
    assert wait(px, "pve1", ct.snapshot("s1").delete())["exitstatus"] == "OK"

    assert ct.template.post() is None  # PVE forks the worker and answers null
    wait_until(lambda: ct.config.get().get("template") == 1)
    assert _template_task(px, "pve1", 300)["status"] == "OK"
    assert ct.config.get()["rootfs"].startswith("local-lvm:base-300-disk-0,")
    with pytest.raises(ResourceException, match="convert a template to a template"):
        ct.template.post()
    with pytest.raises(ResourceException, match="can't start a CT if it's a template"):
        ct.status.start.post()


def test_linked_clone_needs_a_template_and_is_default_for_one(px):
    assert create_ct(px, "pve1", 310)["exitstatus"] == "OK"
    ct = px.nodes("pve1").lxc(310)
    with pytest.raises(ResourceException, match="Linked clone feature for 'local-lvm:vm-310"):
        ct.clone.post(newid=311, full=0)
    ct.template.post()
    wait_until(lambda: ct.config.get().get("template") == 1)
    with pytest.raises(ResourceException, match="'storage' not allowed for linked clones"):
        ct.clone.post(newid=311, full=0, storage="local-lvm")
    upid = ct.clone.post(newid=311, hostname="linked")  # no `full`: linked for a template
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    log = [e["t"] for e in px.nodes("pve1").tasks(upid).log.get()]
    assert any("create linked clone of mount point rootfs" in line for line in log)
    copy = px.nodes("pve1").lxc(311).config.get()
    assert "template" not in copy and copy["hostname"] == "linked"
    upid = ct.clone.post(newid=312, hostname="full", full=1)
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    log = [e["t"] for e in px.nodes("pve1").tasks(upid).log.get()]
    assert any("create full clone of mountpoint rootfs" in line for line in log)
    start = px.nodes("pve1").lxc(311).status.start.post()
    assert wait(px, "pve1", start)["exitstatus"] == "OK"


def test_dir_storage_templates_but_clones_only_full():
    with Simulator(time_scale=0, profiles=["dir-storage"]) as sim:
        px = px_token(sim.info)
        params = {"rootfs": "local:4"}
        assert create_ct(px, "pve1", 320, **params)["exitstatus"] == "OK"
        ct = px.nodes("pve1").lxc(320)
        ct.template.post()
        wait_until(lambda: ct.config.get().get("template") == 1)
        assert ct.config.get()["rootfs"].startswith("local:320/base-320-disk-0.raw,")
        with pytest.raises(ResourceException, match="Linked clone feature for 'local:320/base"):
            ct.clone.post(newid=321, full=0)
        assert wait(px, "pve1", ct.clone.post(newid=321, full=1))["exitstatus"] == "OK"


def test_resize_grows_never_shrinks(px):
    assert create_ct(px, "pve1", 330, rootfs="local-lvm:2")["exitstatus"] == "OK"
    ct = px.nodes("pve1").lxc(330)
    with pytest.raises(ResourceException, match="unable to shrink disk size"):
        ct.resize.put(disk="rootfs", size="1G")
    with pytest.raises(ResourceException, match="already at specified size"):
        ct.resize.put(disk="rootfs", size="2G")
    assert wait(px, "pve1", ct.resize.put(disk="rootfs", size="+2G"))["exitstatus"] == "OK"
    assert ct.config.get()["rootfs"].endswith(",size=4G")
