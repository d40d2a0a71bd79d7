"""The nodes' SSH side with a real asyncssh client: auth, host commands, every `pct` command with
its texts and exit codes, stdin, SFTP + `pct push`, and argv values that must stay data."""

from __future__ import annotations

import os

import asyncssh
import pytest
from ssh_helpers import connect, new_ct, run

NASTY = [
    "it's",
    'say "hi"',
    "$(touch /pwned)",
    "`touch /pwned`",
    "a; touch /pwned",
    "line one\nline two",
    "tab\there & | > < * ? ~ \\ !",
    "",
]


@pytest.fixture(scope="module")
def cts(sim, px, info):
    """One running and one stopped CT on the first node."""
    node = info.nodes[0]
    running = new_ct(px, node, 910)
    stopped = new_ct(px, node, 911, start=False)
    return node, running, stopped


async def test_only_the_session_key_as_root_gets_in(info):
    node = info.nodes[0]
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(info, node, client_keys=[stranger])
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(info, node, username="admin")
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(info, node, client_keys=None, password="root")


async def test_each_port_answers_as_its_node(info):
    for node in info.nodes:
        async with await connect(info, node) as conn:
            r = await run(conn, "hostname")
            assert (r.exit_status, r.stdout) == (0, f"{node}\n".encode())


async def test_host_commands(info):
    async with await connect(info, info.nodes[0]) as conn:
        r = await conn.run(
            "mkdir -p /root/work/deep && echo data > /root/work/deep/f && cat /root/work/deep/f"
            " && rm -f /root/work/deep/f /root/work/none && true",
            encoding=None,
        )
        assert (r.exit_status, r.stdout) == (0, b"data\n")
        missing = await run(conn, "cat", "/etc/nothing")
        assert (missing.exit_status, missing.stderr) == (
            1,
            b"cat: /etc/nothing: No such file or directory\n",
        )  # noqa: E501
        unknown = await conn.run("frobnicate", encoding=None)
        assert unknown.exit_status == 127
        assert unknown.stderr == b"bash: line 1: frobnicate: command not found\n"
        assert (await run(conn, "pveversion")).stdout.startswith(b"pve-manager/")


async def test_pct_list_status_config(info, cts):
    node, running, stopped = cts
    async with await connect(info, node) as conn:
        listing = (await run(conn, "pct", "list")).stdout.decode().splitlines()
        assert listing[0] == "VMID       Status     Lock         Name                "
        rows = {line.split()[0]: line for line in listing[1:]}
        assert rows[str(running)] == f"{running:<10} {'running':<10} {'':<12} {f'ct{running}':<20}"
        assert rows[str(stopped)].split()[1] == "stopped"
        status = await run(conn, "pct", "status", running)
        assert (status.exit_status, status.stdout) == (0, b"status: running\n")
        config = (await run(conn, "pct", "config", running)).stdout.decode().splitlines()
        assert config == sorted(config) and f"hostname: ct{running}" in config
        assert "features: nesting=1" in config and "unprivileged: 1" in config
        assert not any(line.startswith("digest:") for line in config)


async def test_pct_errors_and_exit_codes(info, cts):
    node, running, stopped = cts
    other = info.nodes[1]
    async with await connect(info, other) as conn:
        r = await run(conn, "pct", "status", running)
        assert r.exit_status == 255
        assert (
            r.stderr
            == f"Configuration file 'nodes/{other}/lxc/{running}.conf' does not exist\n".encode()
        )  # noqa: E501
        exec_elsewhere = await run(conn, "pct", "exec", running, "--", "true")
        assert exec_elsewhere.exit_status == 255 and b"does not exist" in exec_elsewhere.stderr
    async with await connect(info, node) as conn:
        bad = await run(conn, "pct", "status", "abc")
        assert bad.exit_status == 255
        assert bad.stderr.decode().splitlines() == [
            "400 Parameter verification failed.",
            "vmid: type check ('integer') failed - got 'abc'",
            "pct status <vmid> [OPTIONS]",
        ]
        unknown = await run(conn, "pct", "frobnicate")
        assert (
            unknown.exit_status == 255
            and b"ERROR: unknown command 'pct frobnicate'" in unknown.stderr
        )  # noqa: E501
        again = await run(conn, "pct", "start", running)
        assert (again.exit_status, again.stderr) == (
            255,
            f"CT {running} already running\n".encode(),
        )  # noqa: E501
        busy = await run(conn, "pct", "destroy", running)
        assert busy.exit_status == 255
        assert busy.stderr == f"unable to destroy CT {running} - container is running\n".encode()


async def test_pct_exec_passes_output_status_and_stdin(info, cts):
    node, running, stopped = cts
    async with await connect(info, node) as conn:
        r = await run(
            conn, "pct", "exec", running, "--", "sh", "-c", "echo out; echo err >&2; exit 3"
        )  # noqa: E501
        assert (r.exit_status, r.stdout, r.stderr) == (3, b"out\n", b"err\n")
        data = bytes(range(256)) * 50
        up = await run(
            conn,
            "pct",
            "exec",
            running,
            "--",
            "sh",
            "-c",
            "cat > /root/blob && wc -c < /root/blob",
            stdin=data,
        )  # noqa: E501
        assert (up.exit_status, up.stdout) == (0, f"{len(data)}\n".encode())
        back = await run(conn, "pct", "exec", running, "--", "cat", "/root/blob")
        assert back.stdout == data
        missing = await run(conn, "pct", "exec", running, "--", "nosuchtool")
        assert (missing.exit_status, missing.stderr) == (127, b"sh: nosuchtool: not found\n")
        down = await run(conn, "pct", "exec", stopped, "--", "true")
        assert (down.exit_status, down.stderr) == (
            255,
            f"container '{stopped}' not running!\n".encode(),
        )  # noqa: E501
        bare = await run(conn, "pct", "exec", running)
        assert bare.exit_status == 255 and bare.stderr.startswith(b"missing command")


@pytest.mark.parametrize("value", NASTY)
async def test_quoted_values_arrive_intact(info, cts, value):
    node, running, _ = cts
    async with await connect(info, node) as conn:
        script = 'printf %s "$1" > /root/q; cat /root/q'
        r = await run(conn, "pct", "exec", running, "--", "sh", "-c", script, "sh", value)
        assert (r.exit_status, r.stdout) == (0, value.encode())
        direct = await run(conn, "pct", "exec", running, "--", "printf", "%s", value)
        assert direct.stdout == value.encode()
        pwned = await run(conn, "pct", "exec", running, "--", "test", "-e", "/root/pwned")
        assert pwned.exit_status == 1
        assert (await run(conn, "test", "-e", "/root/pwned")).exit_status == 1


async def test_sftp_then_pct_push(info, cts):
    node, running, stopped = cts
    payload = b"services:\n  web:\n    image: nginx\n" * 100
    async with await connect(info, node) as conn:
        async with conn.start_sftp_client() as sftp:
            async with sftp.open("/tmp/compose.yaml", "wb") as fh:
                await fh.write(payload)
            with pytest.raises(asyncssh.SFTPError):
                await sftp.stat("/../../../../etc/passwd")  # chrooted to the node
        assert (await run(conn, "cat", "/tmp/compose.yaml")).stdout == payload
        await run(conn, "pct", "exec", running, "--", "mkdir", "-p", "/opt/app")
        ok = await run(
            conn,
            "pct",
            "push",
            running,
            "/tmp/compose.yaml",
            "/opt/app/compose.yaml",
            "--perms",
            "0600",
        )  # noqa: E501
        assert (ok.exit_status, ok.stderr) == (0, b"")
        listed = await run(conn, "pct", "exec", running, "--", "ls", "-l", "/opt/app/compose.yaml")
        assert listed.stdout.startswith(b"-rw-------")
        copy = await run(conn, "pct", "exec", running, "--", "cat", "/opt/app/compose.yaml")
        assert copy.stdout == payload
        # pct's worker fails, pct itself still exits 0: the caller must verify
        nodir = await run(conn, "pct", "push", running, "/tmp/compose.yaml", "/nope/dir/f")
        assert (nodir.exit_status, nodir.stderr) == (
            0,
            b"failed to create file: /nope/dir/f: No such file or directory\n",
        )  # noqa: E501
        nosrc = await run(conn, "pct", "push", running, "/tmp/absent", "/root/f")
        assert (nosrc.exit_status, nosrc.stderr) == (0, b"failed to open /tmp/absent for reading\n")
        down = await run(conn, "pct", "push", stopped, "/tmp/compose.yaml", "/root/f")
        assert (down.exit_status, down.stderr) == (255, b"can only push files to a running CT\n")


async def test_set_features_and_power_commands(info, cts, sim):
    node, _, stopped = cts
    async with await connect(info, node) as conn:
        s = await run(
            conn, "pct", "set", stopped, "-features", "nesting=1,keyctl=1", "-memory", "768"
        )  # noqa: E501
        assert (s.exit_status, s.stderr) == (0, b"")
        config = (await run(conn, "pct", "config", stopped)).stdout.decode()
        assert "features: keyctl=1,nesting=1\n" in config and "memory: 768\n" in config
        bad = await run(conn, "pct", "set", stopped, "-bogus", "1")
        assert bad.exit_status == 255 and bad.stderr.startswith(
            b"400 Parameter verification failed.\nbogus: "
        )  # noqa: E501
        start = await run(conn, "pct", "start", stopped)
        assert (start.exit_status, start.stderr) == (0, b"")
        assert (await run(conn, "pct", "status", stopped)).stdout == b"status: running\n"
        features = sim.call(lambda: sim.state.guests[stopped].inside.features)
        assert features == {"keyctl": "1", "nesting": "1"}
        stop = await run(conn, "pct", "stop", stopped)
        assert stop.exit_status == 0
        not_running = await run(conn, "pct", "stop", stopped)
        assert (not_running.exit_status, not_running.stderr) == (
            255,
            f"CT {stopped} not running\n".encode(),
        )  # noqa: E501


async def test_destroy_runs_a_task(info, px, sim):
    node = info.nodes[0]
    vmid = new_ct(px, node, 912, start=False)
    async with await connect(info, node) as conn:
        r = await run(conn, "pct", "destroy", vmid)
        assert r.exit_status == 0
        assert (await run(conn, "pct", "status", vmid)).exit_status == 255
    assert sim.call(lambda: sim.state.find_ct(vmid)) is None


async def test_keys_and_shutdown(tmp_path):
    from pvesim.server import Simulator

    sim = Simulator(nodes=1, time_scale=0, workdir=tmp_path / "sim")
    info = sim.start()
    try:
        assert oct(os.stat(info.ssh_key_path).st_mode & 0o777) == "0o600"
        assert info.ssh_host_key_fingerprint.startswith("SHA256:")
        async with await connect(info, info.nodes[0]) as conn:
            assert (await run(conn, "true")).exit_status == 0
    finally:
        sim.stop()
    with pytest.raises(OSError):
        await connect(info, info.nodes[0])
