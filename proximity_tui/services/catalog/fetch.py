"""Downloading a store's archive (https only, TLS verified, size-limited, timed out, hashed) and
unpacking it safely.

`download` streams to a file, reporting progress, and stops past `limit` bytes or `deadline`
seconds; its SHA-256 is computed on the way. `extract` writes only regular files whose names an
importer reads (compose, JSON, YAML, the licence), refusing archives whose member names are
absolute or climb out with `..`; links are never created, so none can point outside.
Synchronous: callers run it in a worker thread.
"""

from __future__ import annotations

import hashlib
import ssl
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.error import HTTPError, URLError

from proximity_tui.errors import ProximityError, ValidationError
from proximity_tui.files import private_dir

MAX_DOWNLOAD = 512 * 1024 * 1024
MAX_EXTRACTED = 1024 * 1024 * 1024
MAX_MEMBERS = 200_000
TIMEOUT = 30.0  # seconds without progress (connect, each read)
DEADLINE = 900.0  # seconds for the whole download
CHUNK = 256 * 1024
WANTED_SUFFIXES = (".yml", ".yaml", ".json")
WANTED_NAMES = {"LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING"}
Progress = Callable[[int, int | None], None]


class FetchError(ProximityError):
    """A download or an archive that cannot be used (the message says why)."""


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str


def download(
    url: str,
    dest: Path,
    *,
    limit: int = MAX_DOWNLOAD,
    timeout: float = TIMEOUT,
    deadline: float = DEADLINE,
    progress: Progress | None = None,
    cafile: str | None = None,
) -> Downloaded:
    """Fetch `url` (https only) into `dest`; the partial file is removed on any failure."""
    if not url.startswith("https://"):
        raise ValidationError(f"{url}: only https:// archives are downloaded")
    context = ssl.create_default_context(cafile=cafile)  # verifies the certificate and the name
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, headers={"User-Agent": "proximity-tui"})  # noqa: S310 - https only, checked above
    digest = hashlib.sha256()
    size = 0
    started = time.monotonic()
    try:
        with opener.open(request, timeout=timeout) as response, dest.open("wb") as out:
            if not response.geturl().startswith("https://"):
                raise FetchError(f"{url}: redirected away from https")
            total = response.headers.get("Content-Length")
            expected = int(total) if total and total.isdigit() else None
            if expected is not None and expected > limit:
                raise FetchError(f"{url}: {expected} bytes is more than the limit ({limit})")
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"{url}: larger than the limit ({limit} bytes)")
                if time.monotonic() - started > deadline:
                    raise FetchError(f"{url}: not finished after {deadline:.0f} s")
                digest.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(size, expected)
    except HTTPError as exc:
        dest.unlink(missing_ok=True)
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (URLError, OSError, ssl.SSLError) as exc:
        dest.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise FetchError(f"{url}: {reason}") from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return Downloaded(dest, size, digest.hexdigest())


def extract(archive: Path, target: Path) -> int:
    """Unpack the wanted files of a zip or tar.gz into `target` (created 0700). Returns the
    number of files written. Raises `FetchError` for an unsafe or unreadable archive."""
    private_dir(target)
    try:
        if zipfile.is_zipfile(archive):
            return _extract_zip(archive, target)
        if tarfile.is_tarfile(archive):
            return _extract_tar(archive, target)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise FetchError(f"{archive.name}: not a readable archive ({exc})") from None
    raise FetchError(f"{archive.name}: neither a zip nor a tar archive")


def safe_member(name: str) -> PurePosixPath:
    """The member's relative path, or `FetchError` for an absolute path or a `..` part."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise FetchError(f"unsafe path in the archive: {name!r}")
    return path


def _wanted(path: PurePosixPath) -> bool:
    return path.suffix.lower() in WANTED_SUFFIXES or path.name in WANTED_NAMES


class _Budget:
    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0

    def take(self, size: int) -> None:
        self.files += 1
        self.bytes += size
        if self.files > MAX_MEMBERS or self.bytes > MAX_EXTRACTED:
            raise FetchError("the archive unpacks to more than the limit")


def _write(target: Path, rel: PurePosixPath, data: bytes) -> None:
    dest = target.joinpath(*rel.parts)
    private_dir(dest.parent)
    with dest.open("xb") as out:  # never through an existing file or link
        out.write(data)


def _extract_zip(archive: Path, target: Path) -> int:
    budget = _Budget()
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            rel = safe_member(info.filename)
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            if info.is_dir() or is_link or not _wanted(rel):
                continue
            budget.take(info.file_size)
            _write(target, rel, zf.read(info))
    return budget.files


def _extract_tar(archive: Path, target: Path) -> int:
    budget = _Budget()
    with tarfile.open(archive, "r:*") as tf:
        for member in tf:
            rel = safe_member(member.name)
            if not member.isfile() or not _wanted(rel):
                continue  # directories are made as needed; links and devices never
            budget.take(member.size)
            fh = tf.extractfile(member)
            if fh is not None:
                _write(target, rel, fh.read())
    return budget.files
