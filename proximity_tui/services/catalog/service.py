"""CatalogService: the apps a user can deploy, from the bundled catalog and their own.

The bundled catalog (`proximity_tui/catalog/*.yaml`) ships with the product; a user catalog
(`<user data dir>/catalog/*.yaml`, where `catalog import` writes) loads beside it, and a user entry
replaces a bundled one with the same id (an override, listed in `overrides`; `clashes.py` holds the
rule for every id clash). A broken bundled file is a bug and raises; a broken user
file is reported in `problems` and skipped, so one bad file never hides the whole catalog.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from proximity_tui.errors import NotFoundError, ProximityError
from proximity_tui.services.catalog.clashes import resolve_clashes
from proximity_tui.services.catalog.model import (
    DEFAULT_TEMPLATE,
    CatalogEntry,
    EnvVar,
    HealthCheck,
    Port,
    Resources,
    Volume,
    dotenv_text,
)
from proximity_tui.services.catalog.schema import CatalogError, load_entry_file
from proximity_tui.services.catalog.search import SearchIndex

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "catalog"

__all__ = [
    "BUNDLED_DIR",
    "DEFAULT_TEMPLATE",
    "CatalogEntry",
    "CatalogError",
    "CatalogProblem",
    "CatalogService",
    "EnvVar",
    "HealthCheck",
    "Port",
    "Resources",
    "Volume",
    "dotenv_text",
]


@dataclass(frozen=True)
class CatalogProblem:
    """A user catalog file that was skipped, and why."""

    path: Path
    message: str

    def __str__(self) -> str:
        return self.message


class CatalogService:
    def __init__(
        self,
        entries: list[CatalogEntry],
        problems: list[CatalogProblem] | None = None,
        *,
        overriding: frozenset[str] | set[str] = frozenset(),
        bundled_ids: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        # Sorted by name so listings, and ties in search results, come out in a stable order.
        self._entries = sorted(entries, key=lambda e: (e.name.lower(), e.id, e.ref))
        self._by_ref = {e.ref: e for e in self._entries}
        # A plain id names the bundled or user entry; an added source's entry with the same id is
        # reached as `source/id`, unless that source was added to override the bundled ids.
        self._by_id = resolve_clashes(self._entries, overriding)
        #: Refs of the entries that took a bundled entry's id (a user file, an overriding source).
        self.overrides: frozenset[str] = frozenset(
            e.ref for e in self._by_id.values() if e.id in bundled_ids and e.source != "bundled"
        )
        self.problems: list[CatalogProblem] = list(problems or [])
        self._index: SearchIndex | None = None

    @classmethod
    def load(
        cls,
        user_dir: Path | None = None,
        *,
        bundled: bool = True,
        bundled_dir: Path = BUNDLED_DIR,
        sources_dir: Path | None = None,
    ) -> CatalogService:
        """Load the bundled catalog, then `user_dir` (if given) over it, then the cached entries
        of the catalog sources registered under `sources_dir` (nothing is fetched).

        Raises `CatalogError` for a broken bundled file; user files that fail land in `problems`.
        """
        by_id: dict[str, CatalogEntry] = {}
        bundled_ids: set[str] = set()
        if bundled:
            for path in sorted(bundled_dir.glob("*.yaml")):
                entry = load_entry_file(path, source="bundled")
                if entry.id in by_id:
                    raise CatalogError(path.name, "id", f"{entry.id} is also defined elsewhere")
                by_id[entry.id] = entry
            bundled_ids = set(by_id)
        problems: list[CatalogProblem] = []
        if user_dir is not None and user_dir.is_dir():
            for path in sorted(user_dir.glob("*.yaml")):
                try:
                    entry = load_entry_file(path, source="user")
                except CatalogError as exc:
                    problems.append(CatalogProblem(path, str(exc)))
                    continue
                by_id[entry.id] = entry  # a user entry wins over a bundled one
        entries = list(by_id.values())
        overriding: set[str] = set()
        if sources_dir is not None:
            from proximity_tui.services.catalog.sources import SourceRegistry

            try:
                got, troubles, overriding = SourceRegistry(sources_dir).load_entries()
            except ProximityError as exc:
                got, troubles = [], [str(exc)]
            entries.extend(got)
            problems.extend(CatalogProblem(sources_dir, t) for t in troubles)
        return cls(entries, problems, overriding=overriding, bundled_ids=bundled_ids)

    def replace_with(self, other: CatalogService) -> None:
        """Take `other`'s entries (a reload), keeping this object: everyone holds this one."""
        self._entries, self._by_ref, self._by_id = other._entries, other._by_ref, other._by_id
        self.overrides, self.problems, self._index = other.overrides, other.problems, None

    @property
    def entries(self) -> list[CatalogEntry]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry_id: object) -> bool:
        return isinstance(entry_id, str) and self._find(entry_id) is not None

    def _find(self, entry_id: str) -> CatalogEntry | None:
        key = entry_id.strip().lower()
        return self._by_ref.get(key) if "/" in key else self._by_id.get(key)

    def overrides_bundled(self, entry: CatalogEntry) -> bool:
        """Whether `entry` took the id of a bundled entry (see `clashes.py`)."""
        return entry.ref in self.overrides

    def sources(self) -> dict[str, int]:
        """Source -> number of entries (bundled, user, imported and each added source)."""
        return dict(sorted(Counter(e.source for e in self._entries).items()))

    def get(self, entry_id: str) -> CatalogEntry:
        """By id (`immich`: the bundled or user entry first) or by `source/id`."""
        entry = self._find(entry_id)
        if entry is None:
            raise NotFoundError("catalog app", entry_id)
        return entry

    def categories(self) -> dict[str, int]:
        """Category -> number of apps, sorted by category name."""
        counts = Counter(e.category for e in self._entries)
        return dict(sorted(counts.items(), key=lambda kv: kv[0].lower()))

    def search(
        self,
        query: str = "",
        *,
        category: str | None = None,
        limit: int | None = None,
        source: str | None = None,
    ) -> list[CatalogEntry]:
        """Entries matching `query`, best first (an empty query lists all, by name).
        `category` filters case-insensitively, `source` by source name; `limit` caps the
        number returned."""
        if self._index is None:
            self._index = SearchIndex(self._entries)
        if source is None:
            return self._index.search(query, category=category, limit=limit)
        found = [e for e in self._index.search(query, category=category) if e.source == source]
        return found if limit is None else found[:limit]
