"""The simulated nodes' SSH servers (asyncssh on loopback): `pct` and host commands, plus SFTP.

One listener per node, each answering as that node. Public-key authentication only, for user
root with the client key generated for this simulator run; one ed25519 host key whose
fingerprint is reported. An exec request runs through the node's shell (`node_shell`), so the
command line is split exactly as bash on a node would; output streams as it is produced and the
exit status goes back with `exit-status`. SFTP is chrooted to the node's directory, the same one
`pct push` reads from. Every command consults the fault rules (`faults.match_exec`) first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvesim.faults import FaultRule, FaultSet
from pvesim.inside.shell import Io, Stdin
from pvesim.node_shell import NodeSystem, node_shell
from pvesim.quiet_asyncssh import asyncssh

log = logging.getLogger(__name__)

USER = "root"
#: How long a `drop` fault lets a command run before the connection is cut.
DROP_AFTER = 0.05


@dataclass
class SshServers:
    """The running listeners: `ports[node]`, the client key to log in with, the host key."""

    ports: dict[str, int]
    client_key_path: Path
    host_key_fingerprint: str
    host: str = "127.0.0.1"
    _acceptors: list[Any] = field(default_factory=list, repr=False)
    _connections: set[Any] = field(default_factory=set, repr=False)

    async def stop(self) -> None:
        for acceptor in self._acceptors:
            acceptor.close()
        for conn in list(self._connections):
            conn.abort()
        for acceptor in self._acceptors:
            with contextlib.suppress(Exception):
                await acceptor.wait_closed()
        self._acceptors.clear()

    close = stop


class _NodeServer(asyncssh.SSHServer):
    def __init__(self, allowed: asyncssh.SSHKey, servers: SshServers) -> None:
        self._allowed = allowed.public_data
        self._servers = servers
        self._conn: Any = None

    def connection_made(self, conn: Any) -> None:
        self._conn = conn
        self._servers._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self._servers._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == USER and key.public_data == self._allowed


def _vmid_of(command: str) -> int | None:
    """The CT a `pct SUB VMID ...` line is about (for fault rules narrowed to a vmid)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if words[:2] == ["env", "-i"]:  # `env -i NAME=VALUE... pct ...`: a cleaned environment
        words = words[2:]
        while words and "=" in words[0]:
            words.pop(0)
    if len(words) >= 3 and words[0] == "pct" and words[2].isdigit():
        return int(words[2])
    return None


class _Session:
    """One exec request (or an interactive shell) on one node."""

    def __init__(self, system: NodeSystem, faults: FaultSet) -> None:
        self.system = system
        self.faults = faults

    async def handle(self, process: asyncssh.SSHServerProcess) -> None:
        command = process.command
        try:
            if command is None:
                status = await self._interactive(process)
            else:
                status = await self._exec(process, command)
        except (BrokenPipeError, ConnectionError, asyncssh.Error):
            return
        except Exception:  # a simulator bug must not kill the server: report it like a crash
            log.exception("ssh command failed: %s", command)
            _write(process.stderr, b"simulator: internal error\n")
            status = 255
        if status is not None:
            with contextlib.suppress(Exception):
                process.exit(status)

    async def _exec(self, process: asyncssh.SSHServerProcess, command: str) -> int | None:
        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        rule = self.faults.match_exec(command, node=self.system.node, vmid=_vmid_of(command))
        gate = self.faults.gate_of(rule)
        if gate is not None:  # a test facility: held until the test opens it
            async with gate.hold(abandon=process.channel.wait_closed()) as passed:
                if not passed:  # the client closed the channel: the command is killed
                    return None
                return await self._effect(process, command, rule)
        return await self._effect(process, command, rule)

    async def _effect(
        self, process: asyncssh.SSHServerProcess, command: str, rule: FaultRule | None
    ) -> int | None:
        if rule is not None:
            if rule.delay:
                await asyncio.sleep(rule.delay)
            if rule.drop:
                await self._drop(process, command)
                return None
            if rule.exit_status is not None:
                _write(process.stderr, (rule.stderr or "").encode())
                return rule.exit_status
        return await self._run(process, command)

    async def _run(self, process: asyncssh.SSHServerProcess, command: str) -> int | None:
        """Runs the command; stops it if the client closes the channel first (a timeout)."""
        shell = node_shell(self.system, _sent_env(process))
        io = Io(Stdin(_reader(process)), _writer(process.stdout), _writer(process.stderr))
        work = asyncio.ensure_future(shell.run_script(command, io))
        closed = asyncio.ensure_future(process.channel.wait_closed())
        try:
            await asyncio.wait({work, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            if not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await work
        return work.result() if not work.cancelled() else None

    async def _drop(self, process: asyncssh.SSHServerProcess, command: str) -> None:
        """The command starts, then the whole connection goes away without an exit status."""
        shell = node_shell(self.system, _sent_env(process))
        started = asyncio.Event()

        def out(data: bytes) -> None:
            started.set()

        work = asyncio.ensure_future(shell.run_script(command, Io(Stdin(b""), out, out)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(started.wait(), DROP_AFTER)
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await work
        process.channel.get_connection().abort()

    async def _interactive(self, process: asyncssh.SSHServerProcess) -> int:
        """A login shell for a person (`ssh -p PORT root@127.0.0.1`): one line at a time."""
        node = self.system.node
        kernel = self.system.state.release.kernel
        _write(process.stdout, f"Linux {node} {kernel} (simulated Proxmox VE node)\n".encode())
        shell = node_shell(self.system, _sent_env(process))
        status = 0
        while True:
            _write(process.stdout, f"root@{node}:~# ".encode())
            line = await process.stdin.readline()
            if not line:
                return status
            text = (
                line.decode(errors="replace").strip() if isinstance(line, bytes) else line.strip()
            )
            if text in ("exit", "logout"):
                return status
            if text:
                io = Io(Stdin(b""), _writer(process.stdout), _writer(process.stderr))
                status = await shell.run_script(text, io)


def _sent_env(process: asyncssh.SSHServerProcess) -> dict[str, str]:
    """The environment variables the client sent with its request (`env` channel requests)."""
    out: dict[str, str] = {}
    for key, value in (process.env or {}).items():
        k = key.decode() if isinstance(key, bytes) else str(key)
        out[k] = value.decode() if isinstance(value, bytes) else str(value)
    return out


def _write(stream: Any, data: bytes) -> None:
    if data:
        with contextlib.suppress(Exception):
            stream.write(data)


def _writer(stream: Any):
    return lambda data: _write(stream, data)


def _reader(process: asyncssh.SSHServerProcess):
    async def read_all() -> bytes:
        try:
            data = await process.stdin.read()
        except (asyncssh.Error, ConnectionError):
            return b""
        return data if isinstance(data, bytes) else data.encode()

    return read_all


def _load_or_make_key(path: Path) -> asyncssh.SSHKey:
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.write_bytes(key.export_private_key())
    os.chmod(path, 0o600)
    path.with_suffix(".pub").write_bytes(key.export_public_key())
    return key


async def start_ssh_servers(
    state: Any,
    faults: FaultSet,
    node_names: Iterable[str],
    *,
    first_port: int = 0,
    workdir: str | os.PathLike[str],
    host: str = "127.0.0.1",
) -> SshServers:
    """Start one SSH server per node on `host`: `first_port + i` for the i-th node, or free
    ports when `first_port` is 0. Keys live in `workdir/ssh` (client key `id_ed25519`, mode
    0600; reused when present), each node's files in `workdir/nodes/<node>`."""
    base = Path(workdir)
    keydir = base / "ssh"
    keydir.mkdir(parents=True, exist_ok=True)
    os.chmod(keydir, 0o700)
    client_key = _load_or_make_key(keydir / "id_ed25519")
    host_key = _load_or_make_key(keydir / "ssh_host_ed25519_key")
    servers = SshServers({}, keydir / "id_ed25519", host_key.get_fingerprint("sha256"), host)
    try:
        for i, node in enumerate(node_names):
            system = NodeSystem(node, state, base / "nodes" / node)
            session = _Session(system, faults)
            root = str(system.fs.root)
            acceptor = await asyncssh.create_server(
                lambda: _NodeServer(client_key, servers),
                host,
                first_port + i if first_port else 0,
                server_host_keys=[host_key],
                process_factory=session.handle,
                sftp_factory=lambda chan, root=root: asyncssh.SFTPServer(chan, chroot=root),
                encoding=None,
                allow_scp=False,
                reuse_address=True,
            )
            servers._acceptors.append(acceptor)
            servers.ports[node] = acceptor.get_port()
    except BaseException:
        await servers.stop()
        raise
    return servers
