"""`ContainerExec`: run commands inside a CT, and push files into it, on whichever node holds it.

No API endpoint runs a command in a container; `pct exec VMID -- ARGV...` on the CT's own node
does. That happens either locally (running as root on that node) or over SSH to the node. Either
way the command is an argv list: a shell script is ONE argument to `sh -c`, and a user value is
never interpolated into a command line unquoted.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
from collections.abc import Sequence

from proximity_tui.config import SshSettings
from proximity_tui.errors import ExecError, ValidationError
from proximity_tui.proxmox import write_ahead
from proximity_tui.proxmox.coerce import check_vmid
from proximity_tui.proxmox.exec_base import ExecResult, LineCallback, Transport
from proximity_tui.proxmox.exec_local import LocalTransport
from proximity_tui.proxmox.exec_ssh import SshTransport

__all__ = ["ContainerExec", "ExecResult", "PUSH_SCRIPT"]

MODES = ("auto", "local", "ssh")

#: Writes stdin to "$1" (creating its directory), sets mode "$2", prints the size that arrived.
#: umask 077 first: a file holding secrets is never readable by others, not even for a moment.
PUSH_SCRIPT = (
    'umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat > "$1" && chmod "$2" "$1" && wc -c < "$1"'
)


def local_node_name() -> str:
    """A PVE node is named after the host's short hostname."""
    return socket.gethostname().split(".", 1)[0]


def _check_argv(argv: Sequence[str], what: str = "command") -> list[str]:
    if isinstance(argv, str | bytes) or not argv:
        raise ValidationError(f"a {what} is a non-empty list of arguments, not a string")
    out = []
    for arg in argv:
        if not isinstance(arg, str):
            raise ValidationError(f"{what} arguments must be strings, got {type(arg).__name__}")
        if "\x00" in arg:
            raise ValidationError(f"{what} arguments cannot contain NUL characters")
        out.append(arg)
    return out


def _tail(text: str, lines: int = 3, limit: int = 500) -> str:
    kept = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
    joined = "; ".join(kept)
    return joined[-limit:] if joined else "no error output"


def _limit(timeout: float | None, default: float) -> float | None:
    """The transports' limit: None (asyncio's "no timeout") for FOREVER, else seconds."""
    if timeout is None:
        return default
    return None if math.isinf(timeout) else timeout


class ContainerExec:
    """Runs `pct` on the right node, locally or over pooled SSH connections."""

    def __init__(
        self,
        settings: SshSettings | None = None,
        *,
        mode: str | None = None,
        local_node: str | None = None,
        pct_path: str = "pct",
        is_root: bool | None = None,
    ) -> None:
        self.settings = settings or SshSettings()
        self.mode = mode or self.settings.mode
        if self.mode not in MODES:
            raise ValidationError(
                f"[ssh] mode must be one of {', '.join(MODES)}, got {self.mode!r}", field="ssh.mode"
            )
        self.default_timeout = self.settings.timeout
        self.local_node = local_node or local_node_name()
        self._pct_found = shutil.which(pct_path)
        self._is_root = (os.geteuid() == 0) if is_root is None else is_root
        self._local = LocalTransport(self._pct_found or pct_path)
        self._ssh: SshTransport | None = None
        #: Commands run so far, by transport kind (for the figures).
        self.counts = {"local": 0, "ssh": 0}

    @classmethod
    def from_settings(cls, settings: SshSettings) -> ContainerExec:
        return cls(settings)

    @property
    def ssh(self) -> SshTransport:
        if self._ssh is None:  # built lazily: local mode needs no SSH settings to be valid
            self._ssh = SshTransport(self.settings)
        return self._ssh

    def transport_kind(self, node: str) -> str:
        """`local` or `ssh`: in auto mode, local only as root with `pct`, on the CT's node."""
        if self.mode == "auto":
            local = self._is_root and self._pct_found is not None and node == self.local_node
            return "local" if local else "ssh"
        return self.mode

    def _transport(self, node: str) -> Transport:
        if not node or not isinstance(node, str):
            raise ValidationError("a node name is required", field="node")
        return self._local if self.transport_kind(node) == "local" else self.ssh

    async def _host(
        self,
        node: str,
        argv: list[str],
        *,
        label: str,
        stdin: bytes | None,
        timeout: float | None,
        on_stdout: LineCallback | None,
        on_stderr: LineCallback | None,
    ) -> ExecResult:
        transport = self._transport(node)
        ahead = write_ahead.pending()
        if ahead is not None:  # the operation's journal first: nothing is sent before it
            await ahead.made()
        result = await transport.run(
            node,
            argv,
            stdin=stdin,
            timeout=_limit(timeout, self.default_timeout),
            on_stdout=on_stdout,
            on_stderr=on_stderr,
            label=label,
        )
        self.counts[transport.kind] += 1
        return result

    async def run(
        self,
        node: str,
        vmid: int,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        on_stdout: LineCallback | None = None,
        on_stderr: LineCallback | None = None,
        check: bool = True,
    ) -> ExecResult:
        """`pct exec VMID -- argv...` on `node`. Raises `ExecError` (with stderr) on a non-zero
        exit when `check`, `ExecTimeout` after `timeout` s, `ExecConnectionError` if SSH fails."""
        vmid = check_vmid(vmid)
        args = _check_argv(argv)
        # Name only the program: the arguments may hold secrets (a script, an env value).
        label = f"`{os.path.basename(args[0])}` in CT {vmid} on {node}"
        result = await self._host(
            node,
            ["pct", "exec", str(vmid), "--", *args],
            label=label,
            stdin=stdin,
            timeout=timeout,
            on_stdout=on_stdout,
            on_stderr=on_stderr,
        )
        if check and result.exit_status != 0:
            raise ExecError(
                f"{label} exited with status {result.exit_status}: {_tail(result.stderr)}",
                exit_status=result.exit_status,
                stderr=result.stderr,
                vmid=vmid,
            )
        return result

    async def run_script(
        self, node: str, vmid: int, script: str, *, args: Sequence[str] = (), **kwargs
    ) -> ExecResult:
        """`sh -c SCRIPT sh ARGS...`: the script is one argument; values go in as `$1`, `$2`..."""
        if not isinstance(script, str) or not script.strip():
            raise ValidationError("a script must be a non-empty string")
        return await self.run(node, vmid, ["sh", "-c", script, "sh", *args], **kwargs)

    async def push_file(
        self,
        node: str,
        vmid: int,
        path: str,
        data: bytes,
        mode: int = 0o644,
        *,
        timeout: float | None = None,
    ) -> None:
        """Write `data` to `path` in the CT (through stdin), then check that all of it arrived."""
        if not isinstance(path, str) or not path.startswith("/") or "\x00" in path:
            raise ValidationError(f"the target path must be absolute, got {path!r}", field="path")
        if not isinstance(data, bytes | bytearray):
            raise ValidationError("file contents must be bytes")
        if not 0 <= mode <= 0o7777:
            raise ValidationError(f"invalid file mode {mode:o}", field="mode")
        result = await self.run_script(
            node, vmid, PUSH_SCRIPT, args=[path, f"{mode:04o}"], stdin=bytes(data), timeout=timeout
        )
        size = result.stdout.strip().splitlines()[-1].strip() if result.stdout.strip() else ""
        if size != str(len(data)):
            raise ExecError(
                f"pushing {path} into CT {vmid} on {node}: {len(data)} bytes sent, "
                f"{size or 'nothing'} arrived",
                exit_status=result.exit_status,
                stderr=result.stderr,
                vmid=vmid,
            )

    async def pct(
        self,
        node: str,
        *args: str,
        stdin: bytes | None = None,
        timeout: float | None = None,
        on_stdout: LineCallback | None = None,
        on_stderr: LineCallback | None = None,
        check: bool = True,
    ) -> ExecResult:
        """A host-side `pct` subcommand on `node` (`pct set 101 -features nesting=1,keyctl=1`)."""
        argv = _check_argv([str(a) for a in args], "pct command")
        label = f"`pct {argv[0]}` on {node}"
        result = await self._host(
            node,
            ["pct", *argv],
            label=label,
            stdin=stdin,
            timeout=timeout,
            on_stdout=on_stdout,
            on_stderr=on_stderr,
        )
        if check and result.exit_status != 0:
            raise ExecError(
                f"{label} exited with status {result.exit_status}: {_tail(result.stderr)}",
                exit_status=result.exit_status,
                stderr=result.stderr,
            )
        return result

    async def close(self) -> None:
        if self._ssh is not None:
            await self._ssh.close()
        await self._local.close()
