"""`pct` over SSH: one pooled asyncssh connection per node, host keys always verified.

A host key is accepted when it is in known_hosts (the configured file, else `~/.ssh/known_hosts`)
or equals the pinned `fingerprint` of `[ssh]`. Anything else raises `TrustError` naming the key
the server showed, and the one expected when there is one. The remote command is one string
(SSH has no argv), built with `shlex.join`, so each argument arrives as exactly one word.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
from pathlib import Path
from typing import Any

from proximity_tui.config import SshSettings
from proximity_tui.errors import (
    ExecConnectionError,
    ExecTimeout,
    TrustError,
    ValidationError,
)
from proximity_tui.proxmox.exec_base import (
    ExecResult,
    LineCallback,
    clean_argv,
    decode,
    pump_lines,
)
from proximity_tui.proxmox.quiet_asyncssh import asyncssh

#: OpenSSH allows 10 sessions per connection by default; stay under it.
MAX_CHANNELS_PER_NODE = 8

_FP = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")


def normalize_ssh_fingerprint(text: str) -> str:
    """`SHA256:abc...` (as `ssh-keygen -lf` prints it), with or without the prefix or padding."""
    raw = text.strip()
    if raw.upper().startswith("SHA256:"):
        raw = raw[7:]
    fp = "SHA256:" + raw.rstrip("=")
    if not _FP.match(fp):
        raise ValidationError(
            f"an SSH host key fingerprint looks like SHA256:<43 base64 characters>, got {text!r}",
            field="ssh.fingerprint",
        )
    return fp


class _HostKeyCheck(asyncssh.SSHClient):
    """Asked by asyncssh about any key not already trusted by known_hosts."""

    def __init__(self, pin: str | None) -> None:
        self.pin = pin
        self.seen: str | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
        self.seen = key.get_fingerprint("sha256")
        return self.pin is not None and self.seen == self.pin


PREFERRED_CIPHERS = [
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
]


class SshTransport:
    kind = "ssh"

    def __init__(self, settings: SshSettings, *, connect_timeout: float = 10.0) -> None:
        self.settings = settings
        self.connect_timeout = connect_timeout
        self.pin = normalize_ssh_fingerprint(settings.fingerprint) if settings.fingerprint else None
        self.known_hosts = self._known_hosts_path()
        self.key_path = str(Path(settings.key).expanduser()) if settings.key else None
        self._conns: dict[str, asyncssh.SSHClientConnection] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        #: Connections opened so far (the pool should keep this at one per node).
        self.connects = 0

    def _known_hosts_path(self) -> str | None:
        if self.settings.known_hosts:
            path = Path(self.settings.known_hosts).expanduser()
            if not path.is_file():
                raise ValidationError(
                    f"known_hosts file not found: {path}", field="ssh.known_hosts"
                )
            return str(path)
        default = Path("~/.ssh/known_hosts").expanduser()
        return str(default) if default.is_file() and os.access(default, os.R_OK) else None

    def address(self, node: str) -> tuple[str, int]:
        """`[ssh] nodes` maps a node to `host` or `host:port`; otherwise the node's own name."""
        target = self.settings.nodes.get(node, node)
        host, port = target, self.settings.port
        if target.startswith("["):  # [v6]:port
            host, _, rest = target[1:].partition("]")
            if rest.startswith(":"):
                port = int(rest[1:])
        elif target.count(":") == 1:
            host, _, p = target.partition(":")
            port = int(p)
        return host, port

    # --- the pool ---

    async def connection(self, node: str) -> asyncssh.SSHClientConnection:
        """The node's pooled connection, opened on first use; concurrent callers share one."""
        conn = self._conns.get(node)
        if conn is not None and not conn.is_closed():
            return conn
        lock = self._locks.setdefault(node, asyncio.Lock())
        async with lock:
            conn = self._conns.get(node)
            if conn is not None and not conn.is_closed():
                return conn
            conn = await self._connect(node)
            self._conns[node] = conn
            return conn

    def forget(self, node: str, conn: asyncssh.SSHClientConnection | None = None) -> None:
        """Drop a connection that failed, so that the next command opens a fresh one."""
        current = self._conns.get(node)
        if current is not None and (conn is None or current is conn):
            del self._conns[node]
            current.close()

    async def _connect(self, node: str) -> asyncssh.SSHClientConnection:
        host, port = self.address(node)
        where = f"{node} ({host}:{port})"
        checker = _HostKeyCheck(self.pin)
        # An empty trust list (not None, which would disable checking) when there is no file.
        known_hosts: Any = self.known_hosts if self.known_hosts else ([], [], [])
        key = self.key_path
        try:
            conn = await asyncssh.connect(
                host,
                port,
                username=self.settings.user,
                known_hosts=known_hosts,
                client_factory=lambda: checker,
                client_keys=[key] if key else None,
                password=None,
                kbdint_auth=False,
                connect_timeout=self.connect_timeout,
                keepalive_interval=15,
                keepalive_count_max=3,
                # AES-GCM first: as strong as chacha20-poly1305 (asyncssh's first choice), and
                # far cheaper per packet here (one cipher call instead of a cipher object per
                # packet); every OpenSSH since 6.2 offers it. The rest of the defaults follow.
                encryption_algs=PREFERRED_CIPHERS,
            )
        except asyncssh.HostKeyNotVerifiable:
            raise self._host_key_error(node, host, port, checker.seen) from None
        except asyncssh.PermissionDenied:
            raise ExecConnectionError(
                f"SSH login as {self.settings.user} to {where} was refused: check [ssh] user and "
                "key, and that the key is in the node's authorized_keys"
            ) from None
        except (OSError, asyncssh.Error, TimeoutError) as exc:
            reason = (
                "timed out" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
            )
            raise ExecConnectionError(f"cannot connect to {where} over SSH: {reason}") from None
        self.connects += 1
        return conn

    def _host_key_error(self, node: str, host: str, port: int, seen: str | None) -> TrustError:
        where = f"{node} ({host}:{port})"
        shown = seen or "unknown"
        if self.pin:
            return TrustError(
                f"the SSH host key of {where} does not match the pinned fingerprint: server has "
                f"{shown}, expected {self.pin}",
                seen=seen,
                expected=self.pin,
            )
        known = self._known_fingerprints(host, port)
        if known:
            return TrustError(
                f"the SSH host key of {where} does not match {self.known_hosts}: server has "
                f"{shown}, known_hosts has {', '.join(known)}",
                seen=seen,
                expected=known[0],
            )
        return TrustError(
            f"unknown SSH host key for {where}: {shown}. Check it on the node (`ssh-keygen -lf "
            f'/etc/ssh/ssh_host_ed25519_key.pub`) and pin it with fingerprint = "{shown}" in '
            "[ssh], or add it to known_hosts",
            seen=seen,
        )

    def _known_fingerprints(self, host: str, port: int) -> list[str]:
        if not self.known_hosts:
            return []
        try:
            matched = asyncssh.read_known_hosts(self.known_hosts).match(
                host, "", None if port == 22 else port
            )
        except (OSError, ValueError, asyncssh.Error):
            return []
        return [k.get_fingerprint("sha256") for k in matched[0]]

    # --- commands ---

    async def run(
        self,
        node: str,
        argv: list[str],
        *,
        stdin: bytes | None,
        timeout: float | None,
        on_stdout: LineCallback | None,
        on_stderr: LineCallback | None,
        label: str,
    ) -> ExecResult:
        # The node's login session has its own variables (SSH_CONNECTION, whatever root's
        # profile sets) and `pct exec` passes them into the container: clear them on the node.
        # asyncssh sends no variables of ours (no `env`/`send_env` given).
        command = shlex.join(clean_argv(argv))
        slots = self._slots.setdefault(node, asyncio.Semaphore(MAX_CHANNELS_PER_NODE))
        async with slots:
            conn = await self.connection(node)
            try:
                proc = await conn.create_process(command, encoding=None)
            except asyncssh.ChannelOpenError:
                # Nothing ran: the pooled connection went stale or refused a session. Once more.
                self.forget(node, conn)
                conn = await self.connection(node)
                proc = await self._open(node, conn, command)
            except (OSError, asyncssh.Error) as exc:
                self.forget(node, conn)
                raise ExecConnectionError(
                    f"{label}: SSH connection to {node} failed: {exc}"
                ) from None
            return await self._finish(node, conn, proc, stdin, timeout, on_stdout, on_stderr, label)

    async def _open(self, node: str, conn: asyncssh.SSHClientConnection, command: str) -> Any:
        try:
            return await conn.create_process(command, encoding=None)
        except (OSError, asyncssh.Error) as exc:
            self.forget(node, conn)
            raise ExecConnectionError(f"SSH session to {node} could not be opened: {exc}") from None

    async def _finish(
        self, node, conn, proc, stdin, timeout, on_stdout, on_stderr, label
    ) -> ExecResult:
        out: list[bytes] = []
        err: list[bytes] = []
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(
                    _feed(proc, stdin),
                    pump_lines(proc.stdout, on_stdout, out),
                    pump_lines(proc.stderr, on_stderr, err),
                )
                await proc.wait_closed()
        except TimeoutError:
            proc.close()  # closes the channel; the connection stays for other commands
            raise ExecTimeout(
                f"{label} timed out after {timeout:g}s; its channel was closed"
            ) from None
        except (OSError, asyncssh.Error) as exc:
            self.forget(node, conn)
            raise ExecConnectionError(f"{label}: SSH connection to {node} dropped: {exc}") from None
        except BaseException:
            proc.close()
            raise
        status = proc.exit_status
        if status is None:
            signal = proc.exit_signal
            if signal is None:  # the channel closed without a status: the connection went away
                self.forget(node, conn)
                raise ExecConnectionError(
                    f"{label}: SSH connection to {node} dropped before the command finished"
                )
            status = 128 + _signal_number(signal[0])
        return ExecResult(status, decode(out), decode(err))

    async def close(self) -> None:
        conns = list(self._conns.values())
        self._conns.clear()
        for conn in conns:
            conn.close()
        for conn in conns:
            await conn.wait_closed()


async def _feed(proc: Any, data: bytes | None) -> None:
    try:
        if data:
            proc.stdin.write(data)
            await proc.stdin.drain()
        proc.stdin.write_eof()
    except (BrokenPipeError, ConnectionResetError, asyncssh.Error):
        pass  # the command stopped reading; its exit status tells what happened


def _signal_number(name: str) -> int:
    import signal

    try:
        return int(signal.Signals["SIG" + name.upper().removeprefix("SIG")])
    except KeyError:
        return 0
