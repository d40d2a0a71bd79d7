"""Every endpoint Proximity uses, driven by unmodified proxmoxer over pinned HTTPS."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from proxmoxer.core import ResourceException
from sim_helpers import create_ct, px_password, wait, wait_until

UPID_RE = re.compile(r"UPID:pve\d:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:\w+:[^:]*:[^:]+:")


def test_version_nodes_and_node_status(px, info):
    assert px.version.get() == {"version": "9.1.1", "release": "9.1", "repoid": "42db4a6cf33dac83"}
    nodes = px.nodes.get()
    assert [n["node"] for n in nodes] == ["pve1", "pve2", "pve3"]
    assert {n["ssl_fingerprint"] for n in nodes} == {info.fingerprint}
    assert len({n["maxmem"] for n in nodes}) == 3  # different sizes
    status = px.nodes("pve2").status.get()
    assert status["memory"]["total"] == nodes[1]["maxmem"]
    assert all(isinstance(x, str) for x in status["loadavg"])
    assert status["pveversion"].startswith("pve-manager/9.1.1/")


def test_cluster_resources_one_call_for_everything(px):
    everything = px.cluster.resources.get()
    assert {r["type"] for r in everything} == {"qemu", "lxc", "node", "storage"}
    vms = px.cluster.resources.get(type="vm")
    by_id = {r["vmid"]: r for r in vms}
    assert by_id[100]["type"] == "qemu" and by_id[102]["type"] == "lxc"
    pihole = by_id[102]
    for key in (
        "status",
        "cpu",
        "mem",
        "maxmem",
        "disk",
        "netin",
        "netout",
        "uptime",
        "node",
        "name",
    ):
        assert key in pihole
    assert pihole["tags"] == "dns;infra" and pihole["status"] == "running"
    assert pihole["uptime"] > 0 and pihole["mem"] > 0
    assert by_id[103]["status"] == "stopped" and by_id[103]["uptime"] == 0
    assert "lock" not in pihole
    assert {r["type"] for r in px.cluster.resources.get(type="node")} == {"node"}


def test_storage_listing_and_content(px):
    names = [s["storage"] for s in px.nodes("pve1").storage.get()]
    assert names == ["local", "local-lvm"]
    assert [s["storage"] for s in px.nodes("pve1").storage.get(content="vztmpl")] == ["local"]
    assert [s["storage"] for s in px.nodes("pve1").storage.get(content="rootdir")] == ["local-lvm"]
    local = px.nodes("pve1").storage.get(storage="local")[0]
    assert local["type"] == "dir" and local["content"] == "vztmpl,iso,backup"
    templates = px.nodes("pve1").storage("local").content.get(content="vztmpl")
    assert [t["volid"] for t in templates] == [
        "local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz"
    ]
    assert px.nodes("pve2").storage("local").content.get(content="vztmpl") == []
    backups = px.nodes("pve3").storage("local").content.get(content="backup")
    assert backups[0]["volid"].startswith("local:backup/vzdump-lxc-104-")
    assert backups[0]["vmid"] == 104 and backups[0]["notes"] == "media"


def test_aplinfo_and_template_download(px):
    index = {a["template"]: a for a in px.nodes("pve2").aplinfo.get()}
    for name in (
        "alpine-3.22-default_20250617_amd64.tar.xz",
        "alpine-3.23-default_20260116_amd64.tar.xz",
        "debian-12-standard_12.12-1_amd64.tar.zst",
        "debian-13-standard_13.6-1_amd64.tar.zst",
    ):
        assert name in index
    assert index["debian-12-standard_12.12-1_amd64.tar.zst"]["os"] == "debian-12"
    upid = px.nodes("pve2").aplinfo.post(
        storage="local", template="debian-12-standard_12.12-1_amd64.tar.zst"
    )
    assert UPID_RE.fullmatch(upid) and ":download:" in upid
    assert wait(px, "pve2", upid)["exitstatus"] == "OK"
    log = [line["t"] for line in px.nodes("pve2").tasks(upid).log.get()]
    assert log[0].startswith("downloading http://download.proxmox.com/images/system/debian-12")
    assert log[-1] == "TASK OK"
    volids = [v["volid"] for v in px.nodes("pve2").storage("local").content.get(content="vztmpl")]
    assert volids == ["local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst"]
    status = create_ct(
        px, "pve2", 200, ostemplate="local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst"
    )
    assert status["exitstatus"] == "OK"
    conf = px.nodes("pve2").lxc(200).config.get()
    assert conf["ostype"] == "debian" and conf["unprivileged"] == 1


def test_container_lifecycle(px, sim):
    status = create_ct(
        px,
        "pve1",
        210,
        memory=1024,
        swap=256,
        cores=2,
        tags="proximity;web",
        description="made by a test",
        onboot=1,
    )
    assert status["exitstatus"] == "OK"
    assert status["type"] == "vzcreate" and status["id"] == "210"
    conf = px.nodes("pve1").lxc(210).config.get()
    assert conf["hostname"] == "ct210" and conf["memory"] == 1024 and conf["cores"] == 2
    assert conf["rootfs"] == "local-lvm:vm-210-disk-0,size=4G"
    assert re.fullmatch(
        r"name=eth0,bridge=vmbr0,hwaddr=BC:24:11:[0-9A-F:]{8},ip=dhcp,type=veth", conf["net0"]
    )
    assert conf["tags"] == "proximity;web" and len(conf["digest"]) == 40
    listed = {c["vmid"]: c for c in px.nodes("pve1").lxc.get()}
    assert listed[210]["status"] == "stopped" and listed[210]["maxmem"] == 1024 * 1024**2
    assert px.nodes("pve1").lxc(210).interfaces.get() is None

    assert wait(px, "pve1", px.nodes("pve1").lxc(210).status.start.post())["exitstatus"] == "OK"
    current = px.nodes("pve1").lxc(210).status.current.get()
    assert current["status"] == "running" and current["cpus"] == 2

    def eth0_inet():
        ifaces = px.nodes("pve1").lxc(210).interfaces.get()
        return next((i.get("inet") for i in ifaces if i["name"] == "eth0"), None)

    wait_until(lambda: eth0_inet() is not None)
    assert re.fullmatch(r"10\.10\.\d+\.\d+/16", eth0_inet())

    # a root@pam change of a cold option waits for the next start
    root = px_password(sim.info)
    root.nodes("pve1").lxc(210).config.put(features="nesting=1,keyctl=1", memory=2048)
    assert px.nodes("pve1").lxc(210).config.get()["features"] == "keyctl=1,nesting=1"
    assert px.nodes("pve1").lxc(210).config.get(current=1)["features"] == "nesting=1"
    assert px.nodes("pve1").lxc(210).config.get(current=1)["memory"] == 2048

    upid = px.nodes("pve1").lxc(210).status.reboot.post()
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    assert px.nodes("pve1").lxc(210).config.get(current=1)["features"] == "keyctl=1,nesting=1"

    upid = px.nodes("pve1").lxc(210).status.shutdown.post(timeout=30)
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    assert px.nodes("pve1").lxc(210).status.current.get()["status"] == "stopped"
    assert px.nodes("pve1").lxc(210).interfaces.get() is None

    px.nodes("pve1").lxc(210).config.put(delete="description")
    assert "description" not in px.nodes("pve1").lxc(210).config.get()

    upid = px.nodes("pve1").lxc(210).delete(purge=1, **{"destroy-unreferenced-disks": 1})
    status = wait(px, "pve1", upid)
    assert status["exitstatus"] == "OK" and status["type"] == "vzdestroy"
    assert 210 not in [c["vmid"] for c in px.nodes("pve1").lxc.get()]
    assert 210 not in [v.get("vmid") for v in px.nodes("pve1").storage("local-lvm").content.get()]


def test_start_option_and_stop(px):
    assert create_ct(px, "pve1", 211, start=1)["exitstatus"] == "OK"
    assert px.nodes("pve1").lxc(211).status.current.get()["status"] == "running"
    assert wait(px, "pve1", px.nodes("pve1").lxc(211).status.stop.post())["exitstatus"] == "OK"
    assert px.nodes("pve1").lxc(211).status.current.get()["status"] == "stopped"


def test_snapshots_and_clone(px):
    assert create_ct(px, "pve1", 220, start=1)["exitstatus"] == "OK"
    upid = px.nodes("pve1").lxc(220).snapshot.post(snapname="first", description="clean")
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    snaps = px.nodes("pve1").lxc(220).snapshot.get()
    assert [s["name"] for s in snaps] == ["first", "current"]
    assert snaps[0]["description"] == "clean" and snaps[0]["snaptime"] > 0
    assert snaps[1]["parent"] == "first" and snaps[1]["running"] == 1

    px.nodes("pve1").lxc(220).config.put(memory=768)
    upid = px.nodes("pve1").lxc(220).clone.post(newid=221, hostname="copy", snapname="first")
    status = wait(px, "pve1", upid)
    assert status["exitstatus"] == "OK" and status["type"] == "vzclone" and status["id"] == "220"
    copy = px.nodes("pve1").lxc(221).config.get()
    original = px.nodes("pve1").lxc(220).config.get()
    assert copy["hostname"] == "copy" and copy["memory"] == 512
    assert copy["rootfs"].startswith("local-lvm:vm-221-disk-0,")
    assert copy["net0"] != original["net0"]  # a new MAC
    assert px.nodes("pve1").lxc(221).status.current.get()["status"] == "stopped"

    upid = px.nodes("pve1").lxc(220).snapshot("first").rollback.post()
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    assert px.nodes("pve1").lxc(220).config.get()["memory"] == 512
    assert px.nodes("pve1").lxc(220).status.current.get()["status"] == "stopped"

    upid = px.nodes("pve1").lxc(220).snapshot("first").delete()
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    assert [s["name"] for s in px.nodes("pve1").lxc(220).snapshot.get()] == ["current"]
    status = wait(px, "pve1", px.nodes("pve1").lxc(220).snapshot("gone").delete())
    assert status["exitstatus"] == "snapshot 'gone' does not exist"


def test_backup_and_restore(px):
    assert create_ct(px, "pve1", 230, start=1, memory=640)["exitstatus"] == "OK"
    upid = px.nodes("pve1").vzdump.post(
        vmid="230",
        storage="local",
        mode="snapshot",
        compress="zstd",
        **{"notes-template": "{{guestname}}"},
    )
    status = wait(px, "pve1", upid)
    assert status["exitstatus"] == "OK" and status["type"] == "vzdump" and status["id"] == "230"
    log = [line["t"] for line in px.nodes("pve1").tasks(upid).log.get(limit=500)]
    assert log[0].startswith("INFO: starting new backup job: vzdump 230")
    assert "INFO: Backup job finished successfully" in log
    backups = [
        b
        for b in px.nodes("pve1").storage("local").content.get(content="backup")
        if b["vmid"] == 230
    ]
    assert len(backups) == 1
    volid = backups[0]["volid"]
    assert re.fullmatch(
        r"local:backup/vzdump-lxc-230-\d{4}_\d\d_\d\d-\d\d_\d\d_\d\d\.tar\.zst", volid
    )
    assert backups[0]["notes"] == "ct230"

    upid = px.nodes("pve1").lxc.post(vmid=231, ostemplate=volid, restore=1, storage="local-lvm")
    status = wait(px, "pve1", upid)
    assert status["exitstatus"] == "OK" and status["type"] == "vzrestore"
    restored = px.nodes("pve1").lxc(231).config.get()
    assert restored["memory"] == 640 and restored["hostname"] == "ct230"
    # restoring over an existing CT needs force, and a stopped CT
    upid = px.nodes("pve1").lxc.post(
        vmid=231, ostemplate=volid, restore=1, force=1, storage="local-lvm", hostname="again"
    )
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    assert px.nodes("pve1").lxc(231).config.get()["hostname"] == "again"
    status = wait(px, "pve1", px.nodes("pve1").vzdump.post(vmid="9999", storage="local"))
    assert status["exitstatus"] == "job errors"


def test_rrddata_has_seventy_points(px):
    points = px.nodes("pve1").lxc(102).rrddata.get(timeframe="hour")
    assert len(points) == 70
    assert points[-1]["cpu"] >= 0 and points[-1]["maxmem"] == 512 * 1024**2
    assert points[1]["time"] - points[0]["time"] == 60
    assert len(px.nodes("pve1").lxc(102).rrddata.get(timeframe="day", cf="MAX")) == 70


def test_task_log_paging_and_total(px, info, http):
    upid = px.nodes("pve1").lxc.post(
        vmid=240,
        ostemplate=("local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz"),
        rootfs="local-lvm:2",
    )
    wait(px, "pve1", upid)
    url = f"{info.api_url}/api2/json/nodes/pve1/tasks/{upid}/log"
    headers = {"Authorization": f"PVEAPIToken={info.token_id}={info.token_secret}"}
    full = http.get(url, headers=headers).json()
    assert full["total"] == len(full["data"]) and full["data"][0]["n"] == 1
    page = http.get(url, headers=headers, params={"start": 2, "limit": 2}).json()
    assert [line["n"] for line in page["data"]] == [3, 4] and page["total"] == full["total"]
    empty = http.get(url, headers=headers, params={"start": 1000}).json()
    assert empty["data"] == [{"n": 1, "t": "no content"}]
    tasks = px.nodes("pve1").tasks.get(vmid=240)
    assert tasks[0]["upid"] == upid and tasks[0]["status"] == "OK"


def test_one_volume_read_annotate_protect_and_delete(px, info, http):
    assert create_ct(px, "pve1", 250)["exitstatus"] == "OK"
    upid = px.nodes("pve1").vzdump.post(vmid="250", storage="local", compress="zstd")
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    backups = px.nodes("pve1").storage("local").content.get(content="backup", vmid=250)
    volid = backups[0]["volid"]
    volume = px.nodes("pve1").storage("local").content(volid)  # raw slash in the path
    attrs = volume.get()
    assert attrs["format"] == "tar.zst" and attrs["size"] > 0
    assert attrs["path"] == "/var/lib/vz/dump/" + volid.split("/", 1)[1]
    volume.put(notes="before update", protected=1)
    listed = px.nodes("pve1").storage("local").content.get(content="backup", vmid=250)[0]
    assert listed["notes"] == "before update" and listed["protected"] == 1

    upid = volume.delete()
    assert ":imgdel:local\\x3abackup/vzdump-lxc-250-" in upid
    assert wait(px, "pve1", upid)["exitstatus"] == f"volume '{volid}' is protected"
    # the same task, its UPID percent-encoded as a browser sends it
    url = f"{info.api_url}/api2/json/nodes/pve1/tasks/{quote(upid, safe='')}/status"
    headers = {"Authorization": f"PVEAPIToken={info.token_id}={info.token_secret}"}
    assert http.get(url, headers=headers).json()["data"]["upid"] == upid
    volume.put(protected=0)
    # relative to the storage in the path, and waiting for the task like PVE's `delay`
    relative = px.nodes("pve1").storage("local").content(volid.split(":", 1)[1])
    assert relative.delete(delay=5) is None
    assert px.nodes("pve1").storage("local").content.get(content="backup", vmid=250) == []
    with pytest.raises(ResourceException) as err:
        volume.get()
    assert (err.value.status_code, err.value.content) == (500, f"volume '{volid}' does not exist")
    with pytest.raises(ResourceException) as err:
        px.nodes("pve1").storage("local-lvm").content(volid).delete()
    assert err.value.errors == {"volume": "storage ID mismatch (local != local-lvm)\n"}


def test_directory_indexes(px):
    assert {"name": "lxc"} in px.nodes("pve1").get()
    assert {"subdir": "config"} in px.nodes("pve3").lxc(104).get()
    assert {"subdir": "current"} in px.nodes("pve3").lxc(104).status.get()
    assert px.nodes("pve3").lxc(104).snapshot("before-upgrade").get() == [
        {"cmd": "rollback"},
        {"cmd": "config"},
    ]
    with pytest.raises(ResourceException) as err:
        px.nodes("pve3").lxc(104).snapshot("nope").get()
    assert err.value.content == "snapshot 'nope' does not exist"
    conf = px.nodes("pve3").lxc(104).config.get(snapshot="before-upgrade")
    assert conf["snaptime"] > 0 and conf["hostname"] == "media"


def test_login_with_a_separate_realm(info, http):
    r = http.post(
        info.api_url + "/api2/json/access/ticket",
        data={"username": "root", "realm": "pam", "password": info.password},
    )
    assert r.status_code == 200 and r.json()["data"]["username"] == "root@pam"
