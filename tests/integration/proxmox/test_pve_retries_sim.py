"""Retries: idempotent GETs retry connection errors and 5xx with backoff; POST/PUT/DELETE never
retry. Counted on the simulator's side (`sim.stats`), not trusted from the client."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ProxmoxConnectionError, ProxmoxError, ProxmoxTimeout
from proximity_tui.proxmox.client import ProxmoxClient
from pvesim.faults import FaultRule


def _count(sim, method: str, template: str) -> int:
    return sim.stats.get(f"{method} {template}")


async def test_get_retried_on_5xx_until_it_succeeds(client, pve_sim, faults):
    faults.add(FaultRule(method="GET", path="/version", http_status=503, message="busy", times=2))
    before = _count(pve_sim, "GET", "/version")
    assert (await client.version()).version
    assert _count(pve_sim, "GET", "/version") == before + 3


async def test_get_gives_up_after_its_attempts(client, pve_sim, faults):
    faults.add(
        FaultRule(method="GET", path="/nodes", http_status=500, message="got timeout", times=None)
    )
    before = _count(pve_sim, "GET", "/nodes")
    with pytest.raises(ProxmoxError) as err:
        await client.nodes()
    assert err.value.status == 500 and err.value.pve_message == "got timeout"
    assert err.value.call == "GET /nodes"
    assert _count(pve_sim, "GET", "/nodes") == before + 3


async def test_dropped_connection_on_get_is_retried(client, pve_sim, faults):
    faults.add(FaultRule(method="GET", path="/cluster/resources", drop=True, times=1))
    before = _count(pve_sim, "GET", "/cluster/resources")
    assert await client.cluster_resources()
    assert _count(pve_sim, "GET", "/cluster/resources") == before + 2


async def test_post_never_retried(client, pve_sim, faults, info, make_ct):
    node = sorted(info.nodes)[0]
    vmid = await make_ct(client, node, start=False)
    template = "/nodes/{node}/lxc/{vmid}/status/start"
    faults.add(
        FaultRule(
            method="POST",
            path="/nodes/*/lxc/*/status/start",
            http_status=500,
            message="temporary failure",
            times=1,
        )
    )
    before = _count(pve_sim, "POST", template)
    with pytest.raises(ProxmoxError, match="temporary failure"):
        await client.ct_action(node, vmid, "start")
    assert _count(pve_sim, "POST", template) == before + 1
    assert not (await client.ct_status(node, vmid)).running

    faults.add(FaultRule(method="POST", path="/nodes/*/lxc/*/status/start", drop=True, times=1))
    with pytest.raises(ProxmoxConnectionError):
        await client.ct_action(node, vmid, "start")
    assert _count(pve_sim, "POST", template) == before + 2
    await client.wait_task(await client.delete_ct(node, vmid))


async def test_501_not_retried(client, pve_sim, faults):
    faults.add(
        FaultRule(
            method="GET",
            path="/version",
            http_status=501,
            message="Method 'GET /version' not implemented",
            times=None,
        )
    )
    before = _count(pve_sim, "GET", "/version")
    with pytest.raises(ProxmoxError):
        await client.version()
    assert _count(pve_sim, "GET", "/version") == before + 1


async def test_per_call_timeout(px_settings, pve_sim, faults):
    faults.hold(method="GET", path="/version", times=None)  # no answer until the test ends
    before = _count(pve_sim, "GET", "/version")
    async with ProxmoxClient.from_settings(px_settings(timeout=0.3), backoff=0.01) as px:
        with pytest.raises(ProxmoxTimeout) as err:
            await px.version()
    assert _count(pve_sim, "GET", "/version") == before + 1  # a read timeout is not retried
    assert err.value.call == "GET /version" and "0.3s" in str(err.value)
