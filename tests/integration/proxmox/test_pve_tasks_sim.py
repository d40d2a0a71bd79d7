"""Waiting for tasks: success, failure with the task's own error line, a log streamed while the
task runs, timeouts and cancellation (both stop the task)."""

from __future__ import annotations

import asyncio
import time

import pytest

from proximity_tui.errors import OperationCancelled, ProxmoxTimeout, TaskFailed
from proximity_tui.proxmox.client import ProxmoxClient
from pvesim.faults import FaultRule
from pvesim.server import Simulator


async def test_failed_task_raises_its_last_error_line(client, info, faults, make_ct):
    node = sorted(info.nodes)[0]
    vmid = await make_ct(client, node, start=False)
    faults.add(FaultRule(task="vzstart", task_error=f"startup for container '{vmid}' failed"))
    upid = await client.ct_action(node, vmid, "start")
    with pytest.raises(TaskFailed) as err:
        await client.wait_task(upid)
    assert err.value.pve_message == f"startup for container '{vmid}' failed"
    assert err.value.upid == upid and err.value.exitstatus == err.value.pve_message
    assert err.value.call == f"task vzstart {vmid} on {node}"
    assert not (await client.ct_status(node, vmid)).running

    # Streaming callers get the same message, and every line once, ending with TASK ERROR.
    faults.add(FaultRule(task="vzstart", task_error="no space left on device"))
    lines: list[str] = []
    with pytest.raises(TaskFailed, match="no space left on device"):
        await client.wait_task(await client.ct_action(node, vmid, "start"), on_log=lines.append)
    assert lines[-1] == "TASK ERROR: no space left on device" and len(lines) == len(set(lines))
    await client.wait_task(await client.delete_ct(node, vmid))


async def test_timeout_names_the_task_and_stops_it(client, info, faults, make_ct):
    node = sorted(info.nodes)[0]
    vmid = await make_ct(client, node, start=False)
    gate = faults.hold(task="vzstart")  # runs until stopped: only the timeout can end it
    upid = await client.ct_action(node, vmid, "start")
    with pytest.raises(ProxmoxTimeout) as err:
        await client.wait_task(upid, timeout=0.3)
    assert gate.arrived == 1 and gate.passed == 0
    assert f"task vzstart {vmid} on {node}" in str(err.value) and "it was stopped" in str(err.value)
    status = await client.task_status(upid)
    assert not status.running and not status.ok
    assert not (await client.ct_status(node, vmid)).running
    await client.wait_task(await client.delete_ct(node, vmid))


async def test_cancel_stops_the_task(client, info, faults, make_ct):
    node = sorted(info.nodes)[0]
    vmid = await make_ct(client, node, start=False)
    gate = faults.hold(task="vzstart")  # runs until stopped: only the cancel can end it
    upid = await client.ct_action(node, vmid, "start")
    cancel = asyncio.Event()

    async def cancel_once_held() -> None:
        while gate.arrived < 1:
            await asyncio.sleep(0.01)
        cancel.set()

    canceller = asyncio.ensure_future(cancel_once_held())
    with pytest.raises(OperationCancelled, match=f"vzstart {vmid}"):
        await client.wait_task(upid, cancel=cancel, timeout=30)
    await canceller
    assert gate.arrived == 1 and gate.passed == 0
    assert not (await client.task_status(upid)).running
    await client.wait_task(await client.delete_ct(node, vmid))


async def test_log_streamed_while_the_task_runs():
    """The one test with simulated time running: a vzdump takes under a second here."""
    with Simulator(nodes=1, containers=0, time_scale=0.05, seed=3) as sim:
        info = sim.info
        from proximity_tui.config import ProxmoxSettings

        settings = ProxmoxSettings(
            host=info.host,
            port=info.api_port,
            user=info.user,
            token_name=info.token_name,
            token_value=info.token_secret,
            fingerprint=info.fingerprint,
        )
        async with ProxmoxClient.from_settings(settings) as px:
            guest = next(g for g in await px.cluster_resources() if g.type == "lxc")
            upid = await px.vzdump(guest.node, guest.vmid, "local")
            arrivals: list[tuple[str, float]] = []
            status = await px.wait_task(
                upid, on_log=lambda line: arrivals.append((line, time.monotonic()))
            )
            finished = time.monotonic()
            full = await px.task_log(upid)
    lines = [line for line, _ in arrivals]
    assert status.ok and lines == full and lines[-1] == "TASK OK"  # each line once, in order
    assert len(lines) >= 3
    assert arrivals[0][1] < finished - 0.2  # the first line came while the task still ran
