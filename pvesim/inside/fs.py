"""File systems the simulated shells work on: one in memory per CT, one on disk per node.

Both raise the builtin `OSError` subclasses (`FileNotFoundError`, `IsADirectoryError`, ...) with
the errno text, so the utilities print the same `strerror` the real tools print.
"""

from __future__ import annotations

import base64
import errno
import os
import posixpath
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


def norm(path: str, cwd: str = "/") -> str:
    """Absolute, normalised path (`..` never climbs above `/`)."""
    joined = posixpath.join(cwd, path) if not path.startswith("/") else path
    out = posixpath.normpath(joined)
    return "/" + out.lstrip("/") if out != "/" else "/"


def _err(cls: type[OSError], code: int, path: str) -> OSError:
    return cls(code, os.strerror(code), path)


class FileSystemLike(Protocol):
    def is_file(self, path: str) -> bool: ...
    def is_dir(self, path: str) -> bool: ...
    def exists(self, path: str) -> bool: ...
    def read(self, path: str) -> bytes: ...
    def write(self, path: str, data: bytes, *, append: bool = False, mode: int | None = None): ...
    def mkdir(self, path: str, *, parents: bool = False) -> None: ...
    def remove(self, path: str, *, recursive: bool = False) -> None: ...
    def listdir(self, path: str) -> list[str]: ...
    def chmod(self, path: str, mode: int) -> None: ...
    def mode(self, path: str) -> int: ...
    def size(self, path: str) -> int: ...


@dataclass
class _Node:
    is_dir: bool
    mode: int
    data: bytes = b""
    mtime: float = 0.0


class MemoryFS:
    """A CT's root file system: a flat map of absolute paths to files and directories."""

    #: Writes vanish and reads are empty, as on the real device.
    NULL_DEVICES = frozenset({"/dev/null"})

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {"/": _Node(True, 0o755, mtime=time.time())}

    # --- queries ---------------------------------------------------------------------------

    def exists(self, path: str) -> bool:
        return norm(path) in self._nodes or norm(path) in self.NULL_DEVICES

    def is_file(self, path: str) -> bool:
        node = self._nodes.get(norm(path))
        return node is not None and not node.is_dir

    def is_dir(self, path: str) -> bool:
        node = self._nodes.get(norm(path))
        return node is not None and node.is_dir

    def mode(self, path: str) -> int:
        return self._get(norm(path)).mode

    def size(self, path: str) -> int:
        node = self._get(norm(path))
        return 4096 if node.is_dir else len(node.data)

    def mtime(self, path: str) -> float:
        return self._get(norm(path)).mtime

    def listdir(self, path: str) -> list[str]:
        p = norm(path)
        node = self._get(p)
        if not node.is_dir:
            raise _err(NotADirectoryError, errno.ENOTDIR, path)
        prefix = p.rstrip("/") + "/"
        return sorted(
            k[len(prefix) :]
            for k in self._nodes
            if k.startswith(prefix) and "/" not in k[len(prefix) :] and k != p
        )

    def read(self, path: str) -> bytes:
        p = norm(path)
        if p in self.NULL_DEVICES:
            return b""
        node = self._get(p)
        if node.is_dir:
            raise _err(IsADirectoryError, errno.EISDIR, path)
        return node.data

    # --- changes ---------------------------------------------------------------------------

    def write(self, path: str, data: bytes, *, append: bool = False, mode: int | None = None):
        p = norm(path)
        if p in self.NULL_DEVICES:
            return
        self._parent_dir(p, path)
        node = self._nodes.get(p)
        if node is not None and node.is_dir:
            raise _err(IsADirectoryError, errno.EISDIR, path)
        if node is None:
            node = self._nodes[p] = _Node(False, 0o644 if mode is None else mode)
        elif mode is not None:
            node.mode = mode
        node.data = node.data + data if append else bytes(data)
        node.mtime = time.time()

    def mkdir(self, path: str, *, parents: bool = False, mode: int = 0o755) -> None:
        p = norm(path)
        if p in self._nodes:
            if parents and self._nodes[p].is_dir:
                return
            raise _err(FileExistsError, errno.EEXIST, path)
        parent = posixpath.dirname(p)
        if parent not in self._nodes:
            if not parents:
                raise _err(FileNotFoundError, errno.ENOENT, path)
            self.mkdir(parent, parents=True, mode=mode)
        elif not self._nodes[parent].is_dir:
            raise _err(NotADirectoryError, errno.ENOTDIR, path)
        self._nodes[p] = _Node(True, mode, mtime=time.time())

    def remove(self, path: str, *, recursive: bool = False) -> None:
        p = norm(path)
        node = self._get(p)
        if p == "/":
            raise _err(PermissionError, errno.EBUSY, path)
        if node.is_dir:
            children = [k for k in self._nodes if k.startswith(p + "/")]
            if not recursive:
                raise _err(IsADirectoryError, errno.EISDIR, path)
            for k in children:
                del self._nodes[k]
        del self._nodes[p]

    def rmdir(self, path: str) -> None:
        p = norm(path)
        node = self._get(p)
        if not node.is_dir:
            raise _err(NotADirectoryError, errno.ENOTDIR, path)
        if any(k.startswith(p + "/") for k in self._nodes):
            raise _err(OSError, errno.ENOTEMPTY, path)
        del self._nodes[p]

    def chmod(self, path: str, mode: int) -> None:
        self._get(norm(path)).mode = mode & 0o7777

    # --- persistence -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            p: {"dir": 1, "mode": n.mode}
            if n.is_dir
            else {"mode": n.mode, "data": base64.b64encode(n.data).decode("ascii")}
            for p, n in self._nodes.items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemoryFS:
        fs = cls()
        now = time.time()
        for p, item in data.items():
            if item.get("dir"):
                fs._nodes[p] = _Node(True, int(item["mode"]), mtime=now)
            else:
                fs._nodes[p] = _Node(False, int(item["mode"]), base64.b64decode(item["data"]), now)
        return fs

    def copy(self) -> MemoryFS:
        fs = MemoryFS()
        fs._nodes = {p: _Node(n.is_dir, n.mode, n.data, n.mtime) for p, n in self._nodes.items()}
        return fs

    # --- helpers ---------------------------------------------------------------------------

    def _get(self, p: str) -> _Node:
        node = self._nodes.get(p)
        if node is None:
            parent = posixpath.dirname(p)
            if parent in self._nodes and not self._nodes[parent].is_dir:
                raise _err(NotADirectoryError, errno.ENOTDIR, p)
            raise _err(FileNotFoundError, errno.ENOENT, p)
        return node

    def _parent_dir(self, p: str, shown: str) -> None:
        parent = self._nodes.get(posixpath.dirname(p))
        if parent is None:
            raise _err(FileNotFoundError, errno.ENOENT, shown)
        if not parent.is_dir:
            raise _err(NotADirectoryError, errno.ENOTDIR, shown)


class DiskFS:
    """A node's file system: a real directory that SFTP (chrooted there) and host commands share.

    Every path is resolved inside `root`; a symlink pointing outside is refused as missing.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def local(self, path: str) -> Path:
        p = self.root / norm(path).lstrip("/")
        real = Path(os.path.realpath(p))
        if real != self.root and self.root not in real.parents:
            raise _err(FileNotFoundError, errno.ENOENT, path)
        return p

    def exists(self, path: str) -> bool:
        return path == "/dev/null" or self._safe(lambda: self.local(path).exists())

    def is_file(self, path: str) -> bool:
        return self._safe(lambda: self.local(path).is_file())

    def is_dir(self, path: str) -> bool:
        return self._safe(lambda: self.local(path).is_dir())

    def mode(self, path: str) -> int:
        return self.local(path).stat().st_mode & 0o7777

    def size(self, path: str) -> int:
        return self.local(path).stat().st_size

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(self.local(path)))

    def read(self, path: str) -> bytes:
        if norm(path) == "/dev/null":
            return b""
        return self.local(path).read_bytes()

    def write(self, path: str, data: bytes, *, append: bool = False, mode: int | None = None):
        if norm(path) == "/dev/null":
            return
        target = self.local(path)
        with open(target, "ab" if append else "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(target, mode)

    def mkdir(self, path: str, *, parents: bool = False) -> None:
        self.local(path).mkdir(parents=parents, exist_ok=parents)

    def remove(self, path: str, *, recursive: bool = False) -> None:
        target = self.local(path)
        if target.is_dir() and not target.is_symlink():
            if not recursive:
                raise _err(IsADirectoryError, errno.EISDIR, path)
            import shutil

            shutil.rmtree(target)
        else:
            target.unlink()

    def rmdir(self, path: str) -> None:
        self.local(path).rmdir()

    def chmod(self, path: str, mode: int) -> None:
        os.chmod(self.local(path), mode)

    @staticmethod
    def _safe(check) -> bool:
        try:
            return bool(check())
        except OSError:
            return False
