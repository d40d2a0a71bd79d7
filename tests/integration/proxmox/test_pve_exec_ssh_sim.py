"""`ContainerExec` over real SSH to the simulated nodes: the right node, pooled connections, argv
carried as data, files pushed, stderr and exit statuses kept, timeouts, drops, host keys."""

from __future__ import annotations

import asyncio
import os

import asyncssh
import pytest

from proximity_tui.errors import (
    ExecConnectionError,
    ExecError,
    ExecTimeout,
    TrustError,
    ValidationError,
)
from proximity_tui.proxmox.exec import ContainerExec
from proximity_tui.proxmox.exec_base import CLEAN_PATH
from pvesim.faults import FaultRule

NASTY = 'it\'s "quoted" $(touch /pwned) `id` ; rm -rf / ;\nsecond line\t$HOME * ~ \\ !'


@pytest.fixture
def ct_file(pve_sim):
    """Read a file inside a simulated CT straight from the simulator's state."""

    def read(vmid: int, path: str) -> bytes:
        return pve_sim.call(lambda: pve_sim.state.guests[vmid].inside.fs.read(path))

    return read


@pytest.fixture
async def two_cts(client, info, make_ct):
    first, second = sorted(info.nodes)[:2]
    a = await make_ct(client, first)
    b = await make_ct(client, second)
    yield (first, a), (second, b)
    for node, vmid in ((first, a), (second, b)):
        await client.wait_task(await client.delete_ct(node, vmid, force=True))


async def test_exec_on_two_nodes_over_one_connection_each(ex, two_cts):
    (n1, a), (n2, b) = two_cts
    for _ in range(3):
        assert (await ex.run(n1, a, ["hostname"])).stdout.strip() == f"t{a}"
        assert (await ex.run(n2, b, ["hostname"])).stdout.strip() == f"t{b}"
    results = await asyncio.gather(*(ex.run(n1, a, ["echo", str(i)]) for i in range(10)))
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(10)]
    assert ex.ssh.connects == 2 and ex.counts["ssh"] == 16


async def test_wrong_node_is_pcts_own_error(ex, two_cts):
    (n1, a), (n2, _b) = two_cts
    with pytest.raises(ExecError) as err:
        await ex.run(n2, a, ["true"])
    assert str(a) in str(err.value) and err.value.exit_status != 0


async def test_hostile_arguments_arrive_as_data(ex, two_cts, ct_file):
    (node, vmid), _ = two_cts
    await ex.run(node, vmid, ["sh", "-c", 'printf %s "$1" > /root/data.txt', "sh", NASTY])
    assert ct_file(vmid, "/root/data.txt").decode() == NASTY
    echoed = await ex.run(node, vmid, ["printf", "%s|", NASTY, "$(id)", "`id`"])
    assert echoed.stdout == f"{NASTY}|$(id)|`id`|"
    script = await ex.run_script(node, vmid, 'printf "%s" "$1" > /root/s.txt', args=[NASTY])
    assert script.exit_status == 0 and ct_file(vmid, "/root/s.txt").decode() == NASTY
    with pytest.raises(FileNotFoundError):
        ct_file(vmid, "/pwned")


async def test_push_file(ex, two_cts, ct_file):
    _, (node, vmid) = two_cts
    data = b"services:\n  web:\n    image: nginx:1.27\n" + bytes(range(256)) * 64
    await ex.push_file(node, vmid, "/opt/app/compose.yaml", data, mode=0o600)
    assert ct_file(vmid, "/opt/app/compose.yaml") == data
    listing = await ex.run(node, vmid, ["ls", "-l", "/opt/app/compose.yaml"])
    assert listing.stdout.startswith("-rw-------")
    with pytest.raises(ValidationError):
        await ex.push_file(node, vmid, "opt/relative", b"x")


async def test_output_streamed_and_stderr_kept(ex, two_cts, faults):
    (node, vmid), _ = two_cts
    out: list[str] = []
    err: list[str] = []
    result = await ex.run_script(
        node,
        vmid,
        "echo one; echo two; echo oops >&2; exit 0",
        on_stdout=out.append,
        on_stderr=err.append,
    )
    assert out == ["one", "two"] and err == ["oops"] and result.stderr == "oops\n"

    message = "Error response from daemon: failed to create task: permission denied"
    faults.add(FaultRule(command=r"docker compose", exit_status=1, stderr=message + "\n"))
    with pytest.raises(ExecError) as info:
        await ex.run(node, vmid, ["docker", "compose", "up", "-d"])
    assert (
        info.value.exit_status == 1 and message in info.value.stderr and message in str(info.value)
    )
    unchecked = await ex.run_script(node, vmid, "exit 7", check=False)
    assert unchecked.exit_status == 7 and not unchecked.ok


async def test_stopped_container(ex, client, info, make_ct):
    node = sorted(info.nodes)[0]
    vmid = await make_ct(client, node, start=False)
    with pytest.raises(ExecError, match=f"container '{vmid}' not running"):
        await ex.run(node, vmid, ["true"])
    await client.wait_task(await client.delete_ct(node, vmid))


async def test_timeout_closes_the_channel_and_keeps_the_connection(ex, two_cts, faults):
    (node, vmid), _ = two_cts
    await ex.run(node, vmid, ["true"])
    gate = faults.hold(command=r"sleep")  # never answers: only the timeout ends it
    with pytest.raises(ExecTimeout, match="timed out after 0.3s"):
        await ex.run(node, vmid, ["sleep", "1"], timeout=0.3)
    assert (await ex.run(node, vmid, ["echo", "still here"])).stdout == "still here\n"
    assert gate.passed == 0 and gate.finished == 1  # the closed channel ended it
    assert ex.ssh.connects == 1


async def test_dropped_connection_is_forgotten(ex, two_cts, faults):
    (node, vmid), _ = two_cts
    await ex.run(node, vmid, ["true"])
    faults.add(FaultRule(command=r"apk add", drop=True))
    with pytest.raises(ExecConnectionError, match="dropped"):
        await ex.run(node, vmid, ["apk", "add", "docker"])
    assert (await ex.run(node, vmid, ["echo", "back"])).stdout == "back\n"
    assert ex.ssh.connects == 2


async def test_pct_on_the_host_sets_keyctl(ex, client, two_cts):
    (node, vmid), _ = two_cts
    await ex.pct(node, "set", str(vmid), "-features", "nesting=1,keyctl=1")
    assert (await client.ct_config(node, vmid)).features == {"nesting": "1", "keyctl": "1"}
    status = await ex.pct(node, "status", str(vmid))
    assert status.stdout.strip() == "status: running"


async def test_host_key_mismatch_refused_with_both_fingerprints(ssh_cfg, info, two_cts):
    (node, vmid), _ = two_cts
    wrong = "SHA256:" + "A" * 43
    ex = ContainerExec(ssh_cfg(fingerprint=wrong))
    with pytest.raises(TrustError) as err:
        await ex.run(node, vmid, ["true"])
    await ex.close()
    assert err.value.seen == info.ssh_host_key_fingerprint and err.value.expected == wrong
    assert wrong in str(err.value) and info.ssh_host_key_fingerprint in str(err.value)


async def test_unknown_host_key_refused_then_known_hosts_trusted(ssh_cfg, info, two_cts, tmp_path):
    (node, vmid), _ = two_cts
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    ex = ContainerExec(ssh_cfg(fingerprint=None, known_hosts=str(empty)))
    with pytest.raises(TrustError) as err:
        await ex.run(node, vmid, ["true"])
    await ex.close()
    assert err.value.seen == info.ssh_host_key_fingerprint
    assert f'fingerprint = "{info.ssh_host_key_fingerprint}"' in str(err.value)

    port = info.ssh_ports[node]
    key = await asyncssh.get_server_host_key(info.host, port)
    line = f"[{info.host}]:{port} {key.export_public_key().decode().strip()}\n"
    good = tmp_path / "known_hosts_good"
    good.write_text(line)
    ex = ContainerExec(ssh_cfg(fingerprint=None, known_hosts=str(good)))
    try:
        assert (await ex.run(node, vmid, ["echo", "trusted"])).stdout == "trusted\n"
    finally:
        await ex.close()

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    changed = tmp_path / "known_hosts_changed"
    changed.write_text(f"[{info.host}]:{port} {other}\n")
    ex = ContainerExec(ssh_cfg(fingerprint=None, known_hosts=str(changed)))
    with pytest.raises(TrustError) as err:
        await ex.run(node, vmid, ["true"])
    await ex.close()
    assert "does not match" in str(err.value) and err.value.expected != err.value.seen


async def test_no_variable_of_ours_reaches_the_container(ex, two_cts, monkeypatch):
    """`pct exec` keeps its caller's environment inside the CT (pve-container pct.pm): over SSH
    that is the node's login session. `env` inside sees nothing but the clean PATH and what the
    container sets itself; nothing of our process, nothing of root's SSH session."""
    monkeypatch.setenv("PROXIMITY_PROXMOX_TOKEN_VALUE", "tok-secret-123")
    (n1, a), _ = two_cts
    result = await ex.run(n1, a, ["env"])
    seen = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert "tok-secret-123" not in result.stdout
    own = {"PATH", "HOME", "PWD", "SHLVL", "TERM", "container"}  # what the container sets itself
    ours = {k for k, v in os.environ.items() if seen.get(k) == v and k not in own}
    assert ours == set(), sorted(ours)
    session = {"SHELL", "LOGNAME", "USER", "SSH_CONNECTION", "SSH_CLIENT", "MAIL"}
    assert session & set(seen) == set(), sorted(seen)
    assert seen.get("PATH") == CLEAN_PATH, seen
