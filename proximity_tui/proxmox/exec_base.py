"""What both `pct` transports share: the result type, the transport shape and line streaming."""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

#: Called with each output line (without its newline), in order; may be a coroutine function.
LineCallback = Callable[[str], Awaitable[Any] | Any]

READ_CHUNK = 65536

#: `timeout=FOREVER`: no limit at all (a `logs --follow` runs until it is stopped); `None` means
#: the configured default (`[ssh] timeout`), which a follow must not inherit.
FOREVER = math.inf

#: The only variable `pct` is given. `pct exec` keeps its caller's environment inside the
#: container (`lxc-attach --keep-env` is its default: pve-container src/PVE/CLI/pct.pm, `exec`
#: and `enter`; only SSL_CERT_FILE/SSL_CERT_DIR are dropped by its `clean_environment`), so
#: whatever our process or the node's login session holds (the API token, passwords, SSH_*)
#: would reach `sh` and `docker compose` in every app. pct's own `--keep-env 0` appeared only in
#: pve-container commit 069553d (2024-02, PVE 8.1): `env -i` works on every version.
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CLEAN_ENV = {"PATH": CLEAN_PATH}


def clean_argv(argv: list[str]) -> list[str]:
    """`env -i PATH=... ARGV...`: the command run with nothing but a standard PATH."""
    return ["env", "-i", f"PATH={CLEAN_PATH}", *argv]


@dataclass(frozen=True)
class ExecResult:
    exit_status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


class Transport(Protocol):
    """Runs a host command (`pct ...`, as an argv) on a node."""

    kind: str

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
    ) -> ExecResult: ...

    async def close(self) -> None: ...


class _Reader(Protocol):
    async def read(self, n: int = -1) -> bytes: ...


async def pump_lines(reader: _Reader, callback: LineCallback | None, sink: list[bytes]) -> None:
    """Copy a byte stream into `sink`, handing each complete line to `callback` as it arrives.

    Reads chunks rather than `readline()` so that a very long line cannot overrun a buffer limit.
    """
    pending = b""
    while True:
        chunk = await reader.read(READ_CHUNK)
        if not chunk:
            break
        sink.append(chunk)
        if callback is None:
            continue
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            await _emit(callback, line)
    if callback is not None and pending:
        await _emit(callback, pending)


async def _emit(callback: LineCallback, line: bytes) -> None:
    result = callback(line.rstrip(b"\r").decode("utf-8", "replace"))
    if inspect.isawaitable(result):
        await result


def decode(chunks: list[bytes]) -> str:
    return b"".join(chunks).decode("utf-8", "replace")
