"""`reads_once()` (proxmox/once.py): a node's storages and package versions are sent once inside
the block, failures are never kept, everything else is read live; over real HTTPS."""

from __future__ import annotations

import asyncio

import pytest

from proximity_tui.errors import ProxmoxError
from proximity_tui.proxmox.once import reads_once
from pvesim.faults import FaultRule


async def test_node_facts_sent_once_inside_the_block(client, info):
    node = sorted(info.nodes)[0]
    before = client.call_count
    with reads_once():
        listed = await client.storages(node)
        rootdir = await client.storages_accepting(node, "rootdir")
        vztmpl = await client.storages_accepting(node, "vztmpl")
        first = await client.request("GET", "nodes", node, "apt", "versions")
        second = await client.request("GET", "nodes", node, "apt", "versions")
        assert client.call_count == before + 2  # one storage listing, one versions read
        await client.storages(sorted(info.nodes)[1])  # another node: its own read
        await client.cluster_resources()
        await client.cluster_resources()  # anything else is read live
        assert client.call_count == before + 5
    assert [s.storage for s in rootdir] == ["local-lvm"] and [s.storage for s in vztmpl] == [
        "local"
    ]
    assert {s.storage for s in listed} >= {"local", "local-lvm"}
    assert first == second and first is not second  # each caller has its own copy
    first.clear()
    with reads_once():
        assert await client.request("GET", "nodes", node, "apt", "versions") == second
    await client.storages(node)
    await client.storages(node)  # outside the block: every call is sent
    assert client.call_count == before + 8


async def test_a_failed_read_is_not_kept(client, info, faults):
    node = sorted(info.nodes)[0]
    faults.add(FaultRule(method="GET", path=f"/nodes/{node}/apt/versions", http_status=403))
    before = client.call_count
    with reads_once():
        with pytest.raises(ProxmoxError):
            await client.request("GET", "nodes", node, "apt", "versions")
        faults.clear()
        rows = await client.request("GET", "nodes", node, "apt", "versions")
        assert any(r.get("Package") == "lxc-pve" for r in rows)
    assert client.call_count == before + 2


async def test_a_task_that_outlives_the_block_reads_live(client, info):
    node = sorted(info.nodes)[0]
    go = asyncio.Event()

    async def later() -> None:
        await go.wait()
        await client.storages(node)

    with reads_once():
        await client.storages(node)
        task = asyncio.create_task(later())  # shares the block's context, then outlives it
    before = client.call_count
    go.set()
    await task
    assert client.call_count == before + 1
