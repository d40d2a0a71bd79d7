"""Files and directories of ours, made safely (bottom layer: anything may import it).

`private_dir` creates every missing directory 0700 whatever the umask (mkdir's mode is filtered
by it: under umask 000 a plain mkdir made them 0777). `replace_private` writes a file through a
temporary file in the same directory (created 0600 with O_EXCL, so it never follows a link) and
then `os.replace`s it over the destination: an existing symlink at the destination is replaced,
its target never written, and an existing file's loose mode never kept.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def private_dir(path: Path) -> Path:
    """`path` and its missing parents, each created 0700; existing ones are left as they are."""
    missing = []
    current = Path(path)
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another process made it first
        directory.chmod(0o700)
    return Path(path)


def replace_private(dest: Path, write: Callable[[Path], object]) -> Path:
    """Have `write(tmp)` fill a fresh 0600 file beside `dest`, then move it over `dest`."""
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        os.close(fd)
        write(tmp)
        tmp.chmod(0o600)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def write_private(dest: Path, data: bytes) -> Path:
    return replace_private(dest, lambda tmp: tmp.write_bytes(data))


def loosely_writable(path: Path) -> bool:
    """Group- or world-writable (someone else could put files there)."""
    try:
        return bool(path.stat().st_mode & 0o022)
    except OSError:
        return False
