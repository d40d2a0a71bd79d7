"""Every `ProxmoxClient` call against the simulator over real HTTPS (token auth, pinned cert)."""

from __future__ import annotations

import pytest

from proximity_tui.errors import (
    ProxmoxError,
    ProxmoxParameterError,
    ValidationError,
)
from proximity_tui.proxmox.models import Guest, Node, TaskStatus

ALPINE = "alpine-3.22-default_20250617_amd64.tar.xz"


async def test_version_nodes_and_node_status(client, info):
    version = await client.version()
    assert version.version and version.release
    nodes = await client.nodes()
    assert [n.name for n in nodes] == sorted(info.nodes) and len(nodes) == 3
    assert all(isinstance(n, Node) and n.online and n.maxmem > n.mem > 0 for n in nodes)
    assert all(n.maxcpu >= 1 for n in nodes)
    status = await client.node_status(nodes[0].name)
    assert status.mem_total == nodes[0].maxmem and status.cpus == nodes[0].maxcpu
    assert len(status.loadavg) == 3 and all(isinstance(x, float) for x in status.loadavg)
    assert client.trust_mode == "pinned" and not client.insecure and client.auth_kind == "token"


async def test_cluster_resources_one_call_for_all_guests(client, pve_sim):
    before = client.call_count
    guests = await client.cluster_resources()
    assert client.call_count == before + 1
    assert guests and all(isinstance(g, Guest) and g.type in ("lxc", "qemu") for g in guests)
    assert all(isinstance(g.vmid, int) and g.vmid >= 100 and g.node for g in guests)
    assert {g.node for g in guests} <= set(pve_sim.info.nodes)


async def test_next_vmid_and_vmid_free(client):
    vmid = await client.next_vmid()
    assert isinstance(vmid, int) and vmid >= 100
    assert await client.vmid_free(vmid) is True
    taken = (await client.cluster_resources())[0].vmid
    assert await client.vmid_free(taken) is False
    with pytest.raises(ValidationError):
        await client.vmid_free(42)


async def test_storages_templates_and_appliances(client, info):
    first = sorted(info.nodes)[0]
    storages = await client.storages(first)
    by_name = {s.storage: s for s in storages}
    assert by_name["local"].accepts("vztmpl") and by_name["local"].accepts("backup")
    assert by_name["local-lvm"].accepts("rootdir")
    assert [s.storage for s in await client.storages_accepting(first, "rootdir")] == ["local-lvm"]
    assert [s.storage for s in await client.storages_accepting(first, "backup")] == ["local"]
    assert [s.storage for s in await client.storages_accepting(first, "vztmpl")] == ["local"]
    with pytest.raises(ValidationError):
        await client.storages_accepting(first, "pictures")
    content = await client.storage_content(first, "local", "vztmpl")
    assert any(v.name == ALPINE and v.content == "vztmpl" for v in content)
    appliances = await client.appliances(first)
    names = {a.template for a in appliances}
    assert ALPINE in names and any(t.startswith("debian-12-standard") for t in names)
    assert all(a.section and a.os for a in appliances if a.template == ALPINE)


async def test_template_download_to_another_node(client, info, template_volid):
    first, second = sorted(info.nodes)[:2]
    by_node = await client.templates_by_node()
    assert any(v.name == ALPINE for v in by_node[first])
    if await client.find_template(second, ALPINE) is None:
        logged: list[str] = []
        upid = await client.download_template(second, "local", ALPINE)
        status = await client.wait_task(upid, on_log=logged.append)
        assert isinstance(status, TaskStatus) and status.ok and status.type == "download"
        assert logged and logged[-1] == "TASK OK"
    volid = await template_volid(client, second)
    assert volid == f"local:vztmpl/{ALPINE}"


async def test_capacity_and_placement(client):
    caps = await client.nodes_with_capacity()
    assert caps == sorted(caps, key=lambda c: (-c.free_mem, c.node))
    assert all(0 < c.free_mem <= c.maxmem and 0 <= c.free_cpu <= c.maxcpu for c in caps)
    assert await client.best_node(128) == caps[0].node
    assert await client.best_node(10**9) is None


async def test_container_lifecycle(client, info, make_ct):
    node = sorted(info.nodes)[0]
    vmid = await make_ct(
        client,
        node,
        start=False,
        tags=["proximity", "test"],
        onboot=False,
        description="made by the client test",
    )
    cfg = await client.ct_config(node, vmid)
    assert cfg.hostname == f"t{vmid}" and cfg.unprivileged is True and cfg.memory == 256
    assert cfg.tags == ["proximity", "test"] and cfg.features == {"nesting": "1"}
    assert cfg.nets["net0"]["ip"] == "dhcp" and cfg.rootfs_storage == "local-lvm"

    await client.set_ct_config(node, vmid, onboot=True, description="changed")
    cfg = await client.ct_config(node, vmid)
    assert cfg.onboot is True and cfg.description.strip() == "changed"
    with pytest.raises(ValidationError):
        await client.set_ct_config(node, vmid)

    status = await client.ct_status(node, vmid)
    assert status.status == "stopped" and status.vmid == vmid and status.node == node
    assert await client.ct_interfaces(node, vmid) is None
    assert await client.ct_address(node, vmid) is None

    await client.wait_task(await client.ct_action(node, vmid, "start"))
    assert (await client.ct_status(node, vmid)).running
    address = await client.ct_address(node, vmid)
    assert address and address.count(".") == 3 and "/" not in address
    ifaces = await client.ct_interfaces(node, vmid)
    assert any(i.name == "eth0" and i.ipv4 == address for i in ifaces or [])
    found = await client.find_ct(vmid)
    assert found and found.node == node and found.running and "proximity" in found.tags

    with pytest.raises(ProxmoxError) as info_:
        await client.ct_action(node, vmid, "start")
    assert info_.value.pve_message == f"CT {vmid} already running"
    assert info_.value.call == f"POST /nodes/{node}/lxc/{vmid}/status/start"
    with pytest.raises(ValidationError):
        await client.ct_action(node, vmid, "explode")

    points = await client.rrddata(node, vmid, "hour")
    assert len(points) > 10 and points == sorted(points, key=lambda p: p.time)

    with pytest.raises(ProxmoxError, match="container is running"):
        await client.wait_task(await client.delete_ct(node, vmid))
    await client.wait_task(await client.ct_action(node, vmid, "shutdown", timeout=10))
    await client.wait_task(await client.delete_ct(node, vmid, purge=True))
    assert await client.find_ct(vmid) is None


async def test_snapshots_clone_backup_restore(client, info, make_ct):
    node = sorted(info.nodes)[0]
    vmid = await make_ct(client, node)
    await client.wait_task(await client.create_snapshot(node, vmid, "pre", "before update"))
    snaps = await client.snapshots(node, vmid)
    assert [s.name for s in snaps] == ["pre"] and snaps[0].description == "before update"

    newid = await client.next_vmid()
    with pytest.raises(ProxmoxError, match="only possible from a snapshot"):
        await client.wait_task(await client.clone_ct(node, vmid, newid, "clone-a"))
    await client.wait_task(await client.clone_ct(node, vmid, newid, "clone-a", snapname="pre"))
    clone = await client.ct_config(node, newid)
    assert clone.hostname == "clone-a"

    await client.wait_task(await client.rollback_snapshot(node, vmid, "pre"))
    assert not (await client.ct_status(node, vmid)).running  # PVE stops a CT to roll it back
    await client.wait_task(await client.delete_snapshot(node, vmid, "pre"))
    assert await client.snapshots(node, vmid) == []

    older = {v.volid for v in await client.backups(node, "local", vmid)}
    await client.wait_task(await client.vzdump(node, vmid, "local"))
    backups = [v for v in await client.backups(node, "local", vmid) if v.volid not in older]
    assert len(backups) == 1 and backups[0].vmid == vmid and backups[0].size > 0
    volid = backups[0].volid
    assert volid.startswith(f"local:backup/vzdump-lxc-{vmid}-")

    await client.wait_task(await client.restore_ct(node, vmid, volid, "local-lvm"))
    assert (await client.ct_config(node, vmid)).hostname == f"t{vmid}"

    for guest in (vmid, newid):
        await client.wait_task(await client.delete_ct(node, guest, force=True))


async def test_delete_backup_volume(client, info, make_ct):
    node = sorted(info.nodes)[0]
    # Backups outlive their CT and vmids get reused: use an id no other test takes.
    vmid = await make_ct(client, node, start=False, vmid=8100)
    before = {v.volid for v in await client.backups(node, "local", vmid)}
    await client.wait_task(await client.vzdump(node, vmid, "local", mode="stop"))
    [backup] = [v for v in await client.backups(node, "local", vmid) if v.volid not in before]
    upid = await client.delete_volume(node, "local", backup.volid)
    assert upid and upid.startswith("UPID:")  # PVE >= 7 answers a task (older: null)
    await client.wait_task(upid)
    assert {v.volid for v in await client.backups(node, "local", vmid)} == before
    await client.wait_task(await client.delete_ct(node, vmid))


async def test_pve_errors_keep_message_and_call(client, info):
    node = sorted(info.nodes)[0]
    missing = await client.next_vmid()
    with pytest.raises(ProxmoxError) as err:
        await client.ct_config(node, missing)
    assert f"{missing}.conf' does not exist" in err.value.pve_message
    assert err.value.call == f"GET /nodes/{node}/lxc/{missing}/config"

    with pytest.raises(ProxmoxParameterError) as bad:
        await client.create_ct(
            node, vmid=missing, ostemplate="local:vztmpl/" + ALPINE, memory="lots"
        )
    assert bad.value.status == 400 and "memory" in bad.value.errors
    assert "Parameter verification failed" in str(bad.value)
    assert await client.find_ct(missing) is None

    with pytest.raises(ProxmoxError) as unknown:
        await client.request("GET", "nodes", node, "no-such-thing")
    assert unknown.value.status == 501 and "not implemented" in unknown.value.pve_message
