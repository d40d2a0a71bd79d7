"""PVE's loose JSON types coerced into the client's dataclasses, and our values made PVE-proof."""

import pytest

from proximity_tui.errors import ValidationError
from proximity_tui.proxmox.coerce import (
    as_bool,
    as_int,
    check_vmid,
    parse_property_string,
    split_tags,
    to_pve_params,
)
from proximity_tui.proxmox.models import (
    CtConfig,
    Guest,
    Interface,
    Node,
    NodeStatus,
    Snapshot,
    Storage,
    TaskStatus,
    Upid,
    Volume,
)

UPID = "UPID:pve2:0000A1B2:00C0FFEE:6650F00D:vzstart:101:root@pam!proximity:"


def test_loose_numbers_and_booleans():
    assert as_int("100") == 100
    assert as_int("12.0") == 12
    assert as_int(None, 7) == 7 and as_int("", 3) == 3 and as_int("abc") == 0
    assert as_bool(1) and as_bool("1") and not as_bool(0) and not as_bool("0") and not as_bool(None)


def test_booleans_go_out_as_exactly_one_or_zero():
    out = to_pve_params({"unprivileged": True, "onboot": False, "start": None, "tags": ["a", "b"]})
    assert out == {"unprivileged": 1, "onboot": 0, "tags": "a;b"}
    assert all(type(v) is not bool for v in out.values())


def test_vmid_checked_before_any_call():
    assert check_vmid("105") == 105
    for bad in (99, "abc", None, True, 1_000_000_000, "1e3"):
        with pytest.raises(ValidationError):
            check_vmid(bad)


def test_node_with_string_figures():
    node = Node.from_api(
        {
            "node": "pve1",
            "status": "online",
            "cpu": "0.25",
            "maxcpu": "8",
            "mem": "2147483648",
            "maxmem": 8589934592,
            "ssl_fingerprint": "AA:BB",
        }
    )
    assert node.online and node.maxcpu == 8 and node.free_cpu == pytest.approx(6.0)
    assert node.free_mem == 6 * 1024**3


def test_node_status_loadavg_is_list_of_strings():
    status = NodeStatus.from_api(
        "pve1",
        {
            "cpu": 0.1,
            "loadavg": ["0.50", "0.25", "0.10"],
            "cpuinfo": {"cpus": 4},
            "memory": {"total": 100, "used": 40, "free": 60},
            "uptime": "3600",
        },
    )
    assert status.loadavg == (0.5, 0.25, 0.1)
    assert status.cpus == 4 and status.mem_free == 60 and status.mem_available == 60
    assert status.uptime == 3600


def test_guest_from_cluster_resources_row():
    guest = Guest.from_api(
        {
            "id": "lxc/101",
            "vmid": "101",
            "name": "web",
            "node": "pve2",
            "type": "lxc",
            "status": "running",
            "tags": "proximity;web",
            "template": 0,
            "maxmem": "536870912",
            "lock": "",
        }
    )
    assert guest.vmid == 101 and guest.running and guest.tags == ("proximity", "web")
    assert guest.template is False and guest.lock is None and guest.maxmem == 512 * 1024**2


def test_storage_content_list():
    st = Storage.from_api(
        {
            "storage": "local",
            "type": "dir",
            "content": "vztmpl,iso,backup",
            "active": 1,
            "enabled": "1",
            "avail": "1000",
        }
    )
    assert st.accepts("backup") and not st.accepts("rootdir") and st.usable and st.avail == 1000


def test_volume_name_and_vmid():
    vol = Volume.from_api(
        {
            "volid": "local:backup/vzdump-lxc-101-2025_01_01-00_00_00.tar.zst",
            "content": "backup",
            "format": "tar.zst",
            "size": "1234",
            "vmid": "101",
            "ctime": 1700000000,
        }
    )
    assert vol.name == "vzdump-lxc-101-2025_01_01-00_00_00.tar.zst"
    assert vol.vmid == 101 and vol.size == 1234


def test_ct_config_parsed():
    cfg = CtConfig.from_api(
        {
            "hostname": "web",
            "cores": "2",
            "memory": 1024,
            "rootfs": "local-lvm:vm-101-disk-0,size=4G",
            "net0": "name=eth0,bridge=vmbr0,ip=dhcp,hwaddr=BC:24:11:00:00:01",
            "features": "nesting=1,keyctl=1",
            "unprivileged": 1,
            "tags": "proximity",
            "digest": "x",
        }
    )
    assert cfg.cores == 2 and cfg.unprivileged and cfg.features == {"nesting": "1", "keyctl": "1"}
    assert cfg.nets["net0"]["bridge"] == "vmbr0" and cfg.rootfs_storage == "local-lvm"
    assert cfg.raw["digest"] == "x"
    assert parse_property_string("local-lvm:4,size=4G") == {"": "local-lvm:4", "size": "4G"}


def test_interface_address_from_either_shape():
    flat = Interface.from_api({"name": "eth0", "hwaddr": "aa", "inet": "10.10.0.5/16"})
    listed = Interface.from_api(
        {
            "name": "eth0",
            "hardware-address": "aa",
            "ip-addresses": [{"ip-address": "10.10.0.6", "ip-address-type": "inet", "prefix": 16}],
        }
    )
    assert flat.ipv4 == "10.10.0.5" and listed.ipv4 == "10.10.0.6"
    assert Interface.from_api({"name": "eth0"}).ipv4 is None


def test_snapshot_current_pseudo_entry():
    assert Snapshot.from_api({"name": "current", "description": "You are here!"}).is_current
    snap = Snapshot.from_api({"name": "pre", "snaptime": "1700000000", "description": ""})
    assert not snap.is_current and snap.snaptime == 1700000000


def test_tags_split_every_way_pve_accepts():
    assert split_tags("a;b,c d") == ["a", "b", "c", "d"] and split_tags(None) == []


def test_upid_parsed_into_its_parts():
    upid = Upid.parse(UPID)
    assert (upid.node, upid.type, upid.id, upid.user) == (
        "pve2",
        "vzstart",
        "101",
        "root@pam!proximity",
    )
    assert upid.pid == 0xA1B2 and upid.starttime == 0x6650F00D
    assert upid.label == "vzstart 101 on pve2"


@pytest.mark.parametrize("bad", ["", "UPID:pve", "TASK:a:b:c:d:e:f:g:", "UPID:n:zz:00:00:t:i:u:"])
def test_bad_upid_refused(bad):
    with pytest.raises(ValidationError):
        Upid.parse(bad)


def test_task_status_outcomes():
    ok = TaskStatus.from_api(UPID, {"status": "stopped", "exitstatus": "OK"})
    warn = TaskStatus.from_api(UPID, {"status": "stopped", "exitstatus": "WARNINGS: 2"})
    bad = TaskStatus.from_api(UPID, {"status": "stopped", "exitstatus": "startup failed"})
    running = TaskStatus.from_api(UPID, {"status": "running"})
    assert ok.ok and warn.ok and not bad.ok and not running.ok and running.running
    assert ok.node == "pve2" and ok.type == "vzstart" and ok.id == "101"
