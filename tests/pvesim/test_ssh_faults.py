"""Fault rules on SSH commands, as a client observes them: an exit status with stderr (and no side
effect), a delay, a dropped connection mid-command, latency, and rules narrowed to a node/vmid."""

from __future__ import annotations

import asyncio
import time

import asyncssh
import pytest
from ssh_helpers import connect, new_ct, run

from pvesim.faults import FaultRule


@pytest.fixture
def faults(sim):
    yield sim.faults
    sim.faults.clear()


@pytest.fixture(scope="module")
def ct(sim, px, info):
    return info.nodes[0], new_ct(px, info.nodes[0], 930)


async def test_exit_status_and_stderr_instead_of_the_command(info, ct, faults):
    node, vmid = ct
    faults.add(FaultRule(command=r"apk add", exit_status=3, stderr="ERROR: network down\n"))
    async with await connect(info, node) as conn:
        r = await run(conn, "pct", "exec", vmid, "--", "sh", "-c", "touch /root/ran; apk add curl")
        assert (r.exit_status, r.stdout, r.stderr) == (3, b"", b"ERROR: network down\n")
        ran = await run(conn, "pct", "exec", vmid, "--", "test", "-e", "/root/ran")
        assert ran.exit_status == 1  # the faulted command never ran
        again = await run(conn, "pct", "exec", vmid, "--", "sh", "-c", "apk add curl")
        assert again.exit_status == 1 and b"no such package" in again.stderr  # fired once only


async def test_delay_then_the_command_runs(info, ct, faults):
    node, vmid = ct
    faults.add(FaultRule(command=r"echo slow", delay=0.3))
    async with await connect(info, node) as conn:
        started = time.monotonic()
        r = await run(conn, "pct", "exec", vmid, "--", "echo", "slow")
        assert time.monotonic() - started >= 0.3
        assert (r.exit_status, r.stdout) == (0, b"slow\n")


async def test_drop_cuts_the_connection_mid_command(info, ct, faults):
    node, vmid = ct
    faults.add(FaultRule(command=r"docker compose", drop=True))
    conn = await connect(info, node)
    r = await conn.run(f"pct exec {vmid} -- docker compose up -d", check=False)
    # no exit status, no signal: the channel died with the connection
    assert (r.exit_status, r.exit_signal) == (None, None)
    await asyncio.wait_for(conn.wait_closed(), 30)  # a limit for the stuck, not a pace
    with pytest.raises((asyncssh.Error, OSError)):
        await conn.run("true")
    async with await connect(info, node) as fresh:
        assert (await run(fresh, "hostname")).stdout == f"{node}\n".encode()


async def test_latency_applies_to_every_command(info, ct, faults):
    node, _ = ct
    faults.latency = 0.15
    async with await connect(info, node) as conn:
        started = time.monotonic()
        await run(conn, "true")
        await run(conn, "true")
        assert time.monotonic() - started >= 0.3


async def test_rules_narrowed_to_a_vmid_or_node(info, ct, faults, px):
    node, vmid = ct
    faults.add(FaultRule(command=r"hostname", vmid=vmid, exit_status=42, times=None))
    faults.add(FaultRule(command=r"^true$", node=info.nodes[1], exit_status=9, times=None))
    async with await connect(info, node) as conn:
        assert (await run(conn, "pct", "exec", vmid, "--", "hostname")).exit_status == 42
        assert (await run(conn, "pct", "exec", vmid, "--", "hostname")).exit_status == 42
        assert (await run(conn, "hostname")).exit_status == 0
        assert (await run(conn, "true")).exit_status == 0
    async with await connect(info, info.nodes[1]) as conn:
        assert (await run(conn, "true")).exit_status == 9


async def test_a_gated_command_waits_for_the_gate_or_ends_when_its_channel_closes(info, ct, faults):
    node, vmid = ct
    gate = faults.gate("echo")
    faults.add(FaultRule(command=r"echo held", gate="echo", times=2))
    async with await connect(info, node) as conn:
        first = asyncio.ensure_future(run(conn, "pct", "exec", vmid, "--", "echo", "held"))
        while gate.arrived < 1:
            await asyncio.sleep(0.01)
        assert not first.done()
        gate.open()
        r = await first
        assert (r.exit_status, r.stdout) == (0, b"held\n")
        gate.close()
        proc = await conn.create_process(f"pct exec {vmid} -- sh -c 'echo held; touch /root/x'")
        while gate.arrived < 2:
            await asyncio.sleep(0.01)
        proc.close()  # the client gives up: the held command ends without running
        while gate.finished < 2:
            await asyncio.sleep(0.01)
        assert gate.passed == 1
        gone = await run(conn, "pct", "exec", vmid, "--", "test", "-e", "/root/x")
        assert gone.exit_status == 1
