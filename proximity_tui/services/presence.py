"""Which other dashboards have the same database open (they share it safely; the header says so).

Each dashboard holds an exclusive `flock` on its own file in `<db>.dashboards/` for as long as
it runs; the kernel drops the lock when the process ends, however it ends. Another dashboard
counts the files whose lock it cannot take: those are alive. A file it can lock belonged to a
process that is gone (killed, crashed) and is removed. A pid in the name is only for people
looking at the directory: liveness is the lock, so a reused pid never counts.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from proximity_tui.files import private_dir

SUFFIX = ".dashboards"


def presence_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + SUFFIX)


class Presence:
    """This dashboard's entry; `others()` counts the live ones besides it."""

    def __init__(self, db_path: Path) -> None:
        self.directory = private_dir(presence_dir(db_path))
        name = f"{os.getpid()}-{os.urandom(4).hex()}"
        self.path = self.directory / f"{name}.lock"
        # Locked under another name, then renamed: a neighbour never sees it unlocked (and so
        # never removes it as stale).
        starting = self.directory / f"{name}.new"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        self.fd = os.open(starting, flags, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(starting, self.path)

    def others(self) -> int:
        """Live dashboards on the same database, this one not counted (stale entries removed)."""
        count = 0
        try:
            entries = list(self.directory.iterdir())
        except OSError:
            return 0
        for entry in entries:
            if entry == self.path or not entry.name.endswith(".lock"):
                continue
            if is_held(entry):
                count += 1
        return count

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                self.path.unlink()
            os.close(self.fd)  # closing drops the lock
            self.fd = -1


def is_held(entry: Path) -> bool:
    """Whether a live process holds `entry`'s lock; a free (stale) entry is removed."""
    try:
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False  # gone meanwhile, or not a plain file of ours
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        with contextlib.suppress(OSError):
            entry.unlink()  # its process is gone
        return False
    finally:
        os.close(fd)
