"""The one rule for two catalog entries claiming the same id (issue 15, point 8; issue 17).

Bundled entries win id clashes unless the user says otherwise:
- `catalog import` refuses entries whose id a bundled entry has (`bundled_clashes` names them)
  unless `--replace`; a user catalog file with a bundled id (written by the user, or imported with
  `--replace`) then replaces the bundled entry;
- an added source's entry with a bundled or user id is reached only as `source/id`, unless the
  source was added with `--override-bundled` (`resolve_clashes`: which entry a plain id names).
An entry that has taken a bundled entry's id is an override: listed as such by `catalog` and marked
on the catalog screen (`CatalogService.overrides_bundled`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from proximity_tui.services.catalog.model import CatalogEntry


def resolve_clashes(
    entries: Iterable[CatalogEntry], overriding: Collection[str] = frozenset()
) -> dict[str, CatalogEntry]:
    """The entry each plain id names: one of a source in `overriding` (added to override bundled
    ids) first, then the bundled or user entry, then an added source's; in `entries`' order
    within each tier."""
    by_id: dict[str, CatalogEntry] = {}
    for entry in sorted(entries, key=lambda e: _tier(e, overriding)):
        by_id.setdefault(entry.id, entry)
    return by_id


def bundled_clashes(ids: Iterable[str], bundled_ids: Collection[str]) -> list[str]:
    """The ids among `ids` that a bundled entry has, sorted: what an import must not take
    silently."""
    return sorted({i.strip().lower() for i in ids} & set(bundled_ids))


def _tier(entry: CatalogEntry, overriding: Collection[str]) -> int:
    if entry.source in overriding:
        return 0
    return 1 if entry.ref == entry.id else 2
