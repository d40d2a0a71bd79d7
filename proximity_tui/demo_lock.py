"""One simulated cluster per demo data directory.

The first process to take `sim.lock` (an exclusive `flock`, released by the kernel if the process
dies) runs the simulator and writes its pid into the lock file once the cluster answers and
`config.toml` points at it. A second dashboard or `--demo` command on the same directory finds the
lock taken, waits for that pid, and connects to the running cluster through the same config.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from proximity_tui.errors import ProximityError

LOCK_NAME = "sim.lock"
#: How long a joining process waits for the owner to finish starting its simulator.
OWNER_START_SECONDS = 60.0


class DemoLock:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def acquire(cls, directory: Path) -> DemoLock | None:
        """The lock if this process is now the directory's owner; None if another process is."""
        fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)  # a previous owner's pid means nothing now
        return cls(fd)

    def ready(self) -> None:
        """The cluster answers and config.toml points at it: joiners may connect."""
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)
        os.fsync(self.fd)

    def release(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing drops the flock
            self.fd = -1

    @staticmethod
    def wait_for_owner(directory: Path, timeout: float = OWNER_START_SECONDS) -> Path:
        """The config of the running owner's cluster, once the owner says it is ready."""
        lock = directory / LOCK_NAME
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError, ValueError):
                pid = int(lock.read_text().strip() or "0")
                if pid and _alive(pid):
                    return directory / "config.toml"
            if time.monotonic() > deadline:
                raise ProximityError(
                    f"another proximity-tui process holds the demo in {directory} but its"
                    f" simulator did not come up within {timeout:.0f} s"
                )
            time.sleep(0.1)  # a CLI start-up path, before any event loop exists


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
