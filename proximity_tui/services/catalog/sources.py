"""Catalog sources: app stores the user added, converted and cached under the user data dir.

`<data dir>/sources/sources.json` lists them (name, location, format, whether they override the
bundled ids). `sync` reads a local checkout, or downloads and unpacks an https archive
(`fetch.py`), converts it and writes `<name>/entries.json` (entries, skipped apps, figures);
loading the catalog only reads those caches: nothing is fetched or converted at start-up.
Everything is written 0700/0600 through `files.py`. Synchronous: run it in a worker thread.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from proximity_tui.errors import ConflictError, NotFoundError, ValidationError
from proximity_tui.files import private_dir, write_private
from proximity_tui.services.catalog.fetch import Progress, download, extract
from proximity_tui.services.catalog.model import SOURCES, CatalogEntry
from proximity_tui.services.catalog.schema import CatalogError, entry_from_mapping
from proximity_tui.services.catalog.store_formats import detect_format, read_store
from proximity_tui.services.catalog.stores import FORMATS, StoreResult

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}\Z")
RESERVED = {*SOURCES, "all", "sources"}
REGISTRY = "sources.json"
CACHE = "entries.json"


@dataclass
class Source:
    name: str
    location: str
    format: str = ""  # "" until the first sync detects it
    override_bundled: bool = False
    added_at: str = ""
    synced_at: str = ""
    sha256: str = ""
    size: int = 0
    converted: int = 0
    skipped: int = 0

    @property
    def remote(self) -> bool:
        return self.location.startswith(("https://", "http://"))


@dataclass
class SyncReport:
    source: Source
    result: StoreResult
    sha256: str = ""
    size: int = 0
    messages: list[str] = field(default_factory=list)


class SourceRegistry:
    """The sources of one user data dir (`base` is `<data dir>/sources`)."""

    def __init__(self, base: Path) -> None:
        self.base = base

    # --- the list ----------------------------------------------------------------------------

    def all(self) -> list[Source]:
        path = self.base / REGISTRY
        if not path.is_file():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return [Source(**item) for item in data.get("sources", [])]
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValidationError(f"{path}: not a sources list ({exc})") from None

    def get(self, name: str) -> Source:
        for source in self.all():
            if source.name == name:
                return source
        raise NotFoundError("catalog source", name)

    def add(
        self, name: str, location: str, fmt: str = "", *, override_bundled: bool = False
    ) -> Source:
        """Register a source (nothing is read yet). Refuses a bad or taken name, an unknown format,
        a missing local path and a non-https URL."""
        if not NAME.match(name) or name in RESERVED:
            raise ValidationError(
                f"{name!r}: a source name is 1-32 lower-case letters, digits, '-' or '_' "
                f"(not {', '.join(sorted(RESERVED))})",
                field="name",
            )
        if fmt and fmt not in FORMATS:
            raise ValidationError(f"{fmt}: the formats are {', '.join(FORMATS)}", field="format")
        if location.startswith("http://"):
            raise ValidationError(f"{location}: only https:// archives are downloaded")
        if not location.startswith("https://"):
            path = Path(location).expanduser()
            if not path.is_dir():
                raise ValidationError(f"{location}: not a directory (or an https:// archive)")
            location = str(path.resolve())
        sources = self.all()
        if any(s.name == name for s in sources):
            raise ConflictError(f"a catalog source named {name} exists (remove it first)")
        source = Source(name, location, fmt, override_bundled, added_at=_now())
        self._save([*sources, source])
        return source

    def remove(self, name: str) -> Source:
        sources = self.all()
        source = next((s for s in sources if s.name == name), None)
        if source is None:
            raise NotFoundError("catalog source", name)
        self._save([s for s in sources if s.name != name])
        shutil.rmtree(self.base / name, ignore_errors=True)
        return source

    def _save(self, sources: list[Source]) -> None:
        private_dir(self.base)
        data = {"sources": [asdict(s) for s in sources]}
        write_private(self.base / REGISTRY, json.dumps(data, indent=2).encode())

    # --- sync --------------------------------------------------------------------------------

    def sync(
        self,
        name: str,
        *,
        progress: Progress | None = None,
        log: Callable[[str], None] | None = None,
        cafile: str | None = None,
    ) -> SyncReport:
        """Read (or download) the source, convert it and replace its cache."""
        source = self.get(name)
        say = log or (lambda _m: None)
        folder = private_dir(self.base / name)
        sha, size = "", 0
        if source.remote:
            archive = folder / "archive.part"
            got = download(source.location, archive, progress=progress, cafile=cafile)
            sha, size = got.sha256, got.size
            say(f"downloaded {size} bytes, sha256 {sha}")
            tree = folder / "tree.new"
            shutil.rmtree(tree, ignore_errors=True)
            try:
                files = extract(archive, tree)
            finally:
                archive.unlink(missing_ok=True)
            shutil.rmtree(folder / "tree", ignore_errors=True)
            tree.rename(folder / "tree")
            say(f"unpacked {files} files")
            root = folder / "tree"
        else:
            root = Path(source.location)
            if not root.is_dir():
                raise ValidationError(f"{source.location}: the source's directory is gone")
        fmt = source.format or detect_format(root)
        result = read_store(root, fmt, source=name)
        _write_cache(folder / CACHE, fmt, result)
        source.format, source.sha256, source.size = fmt, sha, size
        source.synced_at = _now()
        source.converted, source.skipped = len(result.entries), len(result.skipped)
        self._save([source if s.name == name else s for s in self.all()])
        return SyncReport(source, result, sha, size)

    # --- reading the caches ------------------------------------------------------------------

    def cached(self, name: str) -> tuple[list[CatalogEntry], dict[str, Any]]:
        """The entries of a synced source and its figures (skipped apps, warnings)."""
        path = self.base / name / CACHE
        if not path.is_file():
            return [], {}
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = []
        for item in data.get("entries", []):
            try:
                entries.append(
                    entry_from_mapping(item, file=f"{name}/{item.get('id')}", source=name)
                )
            except CatalogError:
                continue  # a cache written by another version: the next sync rewrites it
        return entries, data

    def load_entries(self) -> tuple[list[CatalogEntry], list[str], set[str]]:
        """Every synced source's entries, problems, and the sources that override bundled ids."""
        entries: list[CatalogEntry] = []
        problems: list[str] = []
        overriding: set[str] = set()
        for source in self.all():
            try:
                got, _ = self.cached(source.name)
            except (OSError, ValueError) as exc:
                problems.append(f"source {source.name}: unreadable cache ({exc}); sync it again")
                continue
            entries.extend(got)
            if source.override_bundled:
                overriding.add(source.name)
        return entries, problems, overriding


def _write_cache(path: Path, fmt: str, result: StoreResult) -> None:
    data = {
        "format": fmt,
        "synced_at": _now(),
        "converted": len(result.entries),
        "skipped": [{"app": s.app, "reason": s.reason} for s in result.skipped],
        "skipped_by_reason": result.skipped_by_reason(),
        "warnings_by_code": result.warning_counts(),
        "entries": [e.to_dict() for e in result.entries],
    }
    write_private(path, json.dumps(data).encode())


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
