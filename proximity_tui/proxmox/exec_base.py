"""What both `pct` transports share: the result type, the transport shape and line streaming."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

#: Called with each output line (without its newline), in order; may be a coroutine function.
LineCallback = Callable[[str], Awaitable[Any] | Any]

READ_CHUNK = 65536


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
