"""A store checkout (or an extracted archive of one) converted into catalog entries.

`convert_store(root, fmt, source=...)` finds the store's app folders, hands each one's files to
the format's pure converter, and returns the entries and, for every folder that could not be
converted, the reason. Only regular files directly inside an app folder are read (no symlinks,
each at most `MAX_APP_FILE` bytes), so a hostile checkout cannot make us read elsewhere.
"""

from __future__ import annotations

import stat
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from proximity_tui.errors import ValidationError
from proximity_tui.services.catalog.casaos import convert_casaos
from proximity_tui.services.catalog.convert_common import Skipped
from proximity_tui.services.catalog.model import CatalogEntry

FORMATS = ("casaos", "runtipi", "proximity-v1", "native")
MAX_APP_FILE = 512 * 1024
Converter = Callable[[str, Mapping[str, bytes]], CatalogEntry]


@dataclass(frozen=True)
class SkippedApp:
    app: str
    reason: str

    def __str__(self) -> str:
        return f"{self.app}: {self.reason}"


@dataclass
class StoreResult:
    entries: list[CatalogEntry] = field(default_factory=list)
    skipped: list[SkippedApp] = field(default_factory=list)

    def skipped_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(s.reason for s in self.skipped).items()))

    def warning_counts(self) -> dict[str, int]:
        """Warning code -> number of entries carrying it."""
        counts: Counter[str] = Counter()
        for entry in self.entries:
            counts.update({w.split(":", 1)[0] for w in entry.warnings})
        return dict(sorted(counts.items()))


def apps_dir(root: Path, fmt: str) -> Path:
    """The folder holding one folder per app: `Apps/` (CasaOS), `apps/` (Runtipi), at the root or
    under the one top folder an archive of a repository has."""
    name = {"casaos": "Apps", "runtipi": "apps"}.get(fmt)
    if name is None:
        return root
    for base in (root, *_only_child(root)):
        if (base / name).is_dir() and not (base / name).is_symlink():
            return base / name
    raise ValidationError(f"{root}: no {name}/ folder (is this a {fmt} store?)")


def _only_child(root: Path) -> list[Path]:
    children = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return children if len(children) == 1 else []


def convert_store(root: Path, fmt: str, *, source: str) -> StoreResult:
    convert = _converter(fmt, source)
    result = StoreResult()
    for folder in sorted(apps_dir(root, fmt).iterdir(), key=lambda p: p.name.lower()):
        if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            result.entries.append(convert(folder.name, read_app_files(folder)))
        except Skipped as exc:
            result.skipped.append(SkippedApp(folder.name, str(exc)))
        except Exception as exc:  # one odd app must never stop the others
            result.skipped.append(SkippedApp(folder.name, f"unreadable ({type(exc).__name__})"))
    return result


def _converter(fmt: str, source: str) -> Converter:
    if fmt == "runtipi":
        from proximity_tui.services.catalog.runtipi import convert_runtipi

        return lambda app, files: convert_runtipi(app, files, source=source)
    return lambda app, files: convert_casaos(app, files, source=source)


def read_app_files(folder: Path) -> dict[str, bytes]:
    """The regular files directly in `folder` (symlinks and oversized files left out)."""
    out: dict[str, bytes] = {}
    for path in folder.iterdir():
        st = path.lstat()
        if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_APP_FILE:
            out[path.name] = path.read_bytes()
    return out
