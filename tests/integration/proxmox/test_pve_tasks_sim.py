"""Waiting for tasks: success, failure with the task's own error line, a log streamed while the
task runs (held at a gate until its lines arrived), timeouts and cancellation (both stop the
task)."""

from __future__ import annotations

import asyncio

import pytest

from proximity_tui.errors import OperationCancelled, ProxmoxTimeout, TaskFailed
from pvesim.faults import FaultRule


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


async def test_log_streamed_while_the_task_runs(client, info, faults, make_ct):
    """A backup's lines reach the caller while its task still runs: the task is held at its end
    (its work done and logged, not ended) until they have arrived, then let go."""
    node = sorted(info.nodes)[0]
    vmid = await make_ct(client, node, start=False)
    gate = faults.hold(task="vzdump", gate_at="end")
    upid = await client.vzdump(node, vmid, "local")
    lines: list[str] = []
    waiting = asyncio.ensure_future(client.wait_task(upid, on_log=lines.append))

    async def streamed() -> None:
        while not (gate.arrived == 1 and "INFO: Backup job finished successfully" in lines):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(streamed(), timeout=30)
    assert not waiting.done() and (await client.task_status(upid)).running
    assert lines == await client.task_log(upid) and "TASK OK" not in lines  # each line once
    gate.open()
    status = await waiting
    assert status.ok and lines == await client.task_log(upid) and lines[-1] == "TASK OK"
    archive = next(ln for ln in lines if "creating vzdump archive" in ln).split("/")[-1][:-1]
    removal = await client.delete_volume(node, "local", f"local:backup/{archive}")
    if removal:
        await client.wait_task(removal)
    await client.wait_task(await client.delete_ct(node, vmid))


async def _until(predicate) -> None:
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout=30)


async def test_a_quick_task_is_seen_ended_in_one_round_trip(client, info, faults, make_ct):
    """The first look reads the task's status and its log side by side: the log's request
    arrives while the status's is still held, and a log that holds its end line is not read
    again (two calls in all)."""
    node = sorted(info.nodes)[0]
    vmid = await make_ct(client, node, start=False)
    upid = await client.ct_action(node, vmid, "start")  # time scale 0: ended at once
    status_gate = faults.hold(method="GET", path="/nodes/*/tasks/*/status")
    before = client.call_count
    lines: list[str] = []
    waiting = asyncio.ensure_future(client.wait_task(upid, on_log=lines.append))
    await _until(lambda: status_gate.arrived == 1 and client.call_count == before + 1)
    assert "TASK OK" in lines and not waiting.done()  # the log came while the status waited
    status_gate.open()
    assert (await waiting).ok
    assert client.call_count == before + 2
    assert lines == await client.task_log(upid) and lines[-1] == "TASK OK"
    await client.wait_task(await client.ct_action(node, vmid, "stop"))
    await client.wait_task(await client.delete_ct(node, vmid))


async def test_a_log_read_before_the_end_is_read_again_once_the_task_stopped(
    client, info, faults, make_ct
):
    """The log is read (without its end line) while the status's request is held; the task
    ends, then the status says stopped: the lines written between the two reads, `TASK OK`
    among them, are read and delivered once each."""
    node = sorted(info.nodes)[0]
    vmid = await make_ct(client, node, start=False)
    task_gate = faults.hold(task="vzstart", gate_at="end")  # its work done, not ended
    upid = await client.ct_action(node, vmid, "start")
    status_gate = faults.hold(method="GET", path="/nodes/*/tasks/*/status")
    before = client.call_count
    lines: list[str] = []
    waiting = asyncio.ensure_future(client.wait_task(upid, on_log=lines.append))
    await _until(lambda: status_gate.arrived == 1 and client.call_count == before + 1)
    assert "TASK OK" not in lines  # read while the task had not ended
    task_gate.open()
    looks = 0  # our own looks (the held one is the waiter's): until the task has ended
    while True:
        looks += 1
        if not (await client.task_status(upid)).running:
            break
        await asyncio.sleep(0.01)
    status_gate.open()
    assert (await waiting).ok
    assert client.call_count == before + looks + 3  # log, status, and the log once more
    assert lines == await client.task_log(upid) and lines[-1] == "TASK OK"
    await client.wait_task(await client.ct_action(node, vmid, "stop"))
    await client.wait_task(await client.delete_ct(node, vmid))
