"""Local `pct`: when the program runs as root on the node that holds the container."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from proximity_tui.errors import ExecConnectionError, ExecTimeout
from proximity_tui.proxmox.exec_base import (
    CLEAN_ENV,
    ExecResult,
    LineCallback,
    decode,
    pump_lines,
)


class LocalTransport:
    kind = "local"

    def __init__(self, pct_path: str = "pct") -> None:
        self.pct_path = pct_path

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
        program = self.pct_path if argv[0] == "pct" else argv[0]
        try:
            proc = await asyncio.create_subprocess_exec(
                program,
                *argv[1:],
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                # Its own process group, so that a timeout kills whatever pct started too.
                start_new_session=True,
                # Nothing of ours (token, passwords) may reach pct: it hands its environment
                # on to the container (see exec_base.CLEAN_ENV).
                env=dict(CLEAN_ENV),
                cwd="/",
            )
        except OSError as exc:
            raise ExecConnectionError(
                f"cannot run {program} on this host ({exc.strerror}); local mode needs to run "
                'as root on a Proxmox node (set [ssh] mode = "ssh" otherwise)'
            ) from None
        out: list[bytes] = []
        err: list[bytes] = []
        assert proc.stdout is not None and proc.stderr is not None
        try:
            async with asyncio.timeout(timeout):
                # Feed stdin while reading, or a chatty command could fill a pipe and stall.
                await asyncio.gather(
                    _feed(proc.stdin, stdin),
                    pump_lines(proc.stdout, on_stdout, out),
                    pump_lines(proc.stderr, on_stderr, err),
                )
                status = await proc.wait()
        except TimeoutError:
            _kill(proc)
            await proc.wait()
            raise ExecTimeout(f"{label} timed out after {timeout:g}s and was killed") from None
        except BaseException:
            _kill(proc)
            raise
        # A signal death shows as -N; report it like a shell would (128 + N).
        return ExecResult(status if status >= 0 else 128 - status, decode(out), decode(err))

    async def close(self) -> None:
        return None


async def _feed(writer: asyncio.StreamWriter | None, data: bytes | None) -> None:
    if writer is None or data is None:
        return
    try:
        writer.write(data)
        await writer.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the command did not read all of it; its exit status will tell
    finally:
        writer.close()


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
