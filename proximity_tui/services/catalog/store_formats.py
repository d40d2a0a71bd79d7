"""Which format a store checkout is in, and reading one in any of the four formats: CasaOS and
Runtipi (one folder per app, `stores.convert_store`), Proximity v1 (JSON files, `importer.py`)
and ours (YAML files, `schema.py`)."""

from __future__ import annotations

from pathlib import Path

from proximity_tui.errors import ValidationError
from proximity_tui.services.catalog.importer import import_v1_dir
from proximity_tui.services.catalog.schema import CatalogError, load_entry_file
from proximity_tui.services.catalog.stores import (
    SkippedApp,
    StoreResult,
    apps_dir,
    convert_store,
)


def detect_format(root: Path) -> str:
    """`casaos`, `runtipi`, `proximity-v1` or `native`, from what the checkout holds."""
    for fmt in ("casaos", "runtipi"):
        try:
            folder = apps_dir(root, fmt)
        except ValidationError:
            continue
        marker = "docker-compose.yml" if fmt == "casaos" else "config.json"
        if any((d / marker).is_file() for d in folder.iterdir() if d.is_dir()):
            return fmt
    base = _flat_root(root)
    if any(base.glob("*.json")):
        return "proximity-v1"
    if any(base.glob("*.yaml")):
        return "native"
    raise ValidationError(
        f"{root}: cannot tell the store's format (give --format casaos, runtipi, proximity-v1 "
        "or native)"
    )


def _flat_root(root: Path) -> Path:
    """A folder of files at the root, or inside the one folder an archive has."""
    if any(root.glob("*.json")) or any(root.glob("*.yaml")):
        return root
    children = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return children[0] if len(children) == 1 else root


def read_store(root: Path, fmt: str, *, source: str) -> StoreResult:
    if fmt in ("casaos", "runtipi"):
        return convert_store(root, fmt, source=source)
    base = _flat_root(root)
    result = StoreResult()
    if fmt == "proximity-v1":
        imported = import_v1_dir(base)
        for entry in imported.entries:
            entry.source = source
            result.entries.append(entry)
        result.skipped = [SkippedApp(p.file, p.reason) for p in imported.skipped]
        return result
    if fmt != "native":
        raise ValidationError(f"{fmt}: not a known format")
    for path in sorted(base.glob("*.yaml")):
        if path.is_symlink():
            result.skipped.append(SkippedApp(path.name, "a symbolic link"))
            continue
        try:
            entry = load_entry_file(path, source=source)
            entry.source = source
            result.entries.append(entry)
        except CatalogError as exc:
            result.skipped.append(SkippedApp(path.name, f"{exc.field or 'file'}: {exc.reason}"))
    return result
