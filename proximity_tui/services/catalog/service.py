"""CatalogService: the apps a user can deploy, from the bundled catalog and their own.

The bundled catalog (`proximity_tui/catalog/*.yaml`) ships with the product; a user catalog
(`<user data dir>/catalog/*.yaml`, where `catalog import` writes) loads beside it, and a user entry
replaces a bundled one with the same id. A broken bundled file is a bug and raises; a broken user
file is reported in `problems` and skipped, so one bad file never hides the whole catalog.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from proximity_tui.errors import NotFoundError
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
        self, entries: list[CatalogEntry], problems: list[CatalogProblem] | None = None
    ) -> None:
        # Sorted by name so listings, and ties in search results, come out in a stable order.
        self._entries = sorted(entries, key=lambda e: (e.name.lower(), e.id))
        self._by_id = {e.id: e for e in self._entries}
        self.problems: list[CatalogProblem] = list(problems or [])
        self._index: SearchIndex | None = None

    @classmethod
    def load(
        cls,
        user_dir: Path | None = None,
        *,
        bundled: bool = True,
        bundled_dir: Path = BUNDLED_DIR,
    ) -> CatalogService:
        """Load the bundled catalog, then `user_dir` (if given) over it.

        Raises `CatalogError` for a broken bundled file; user files that fail land in `problems`.
        """
        by_id: dict[str, CatalogEntry] = {}
        if bundled:
            for path in sorted(bundled_dir.glob("*.yaml")):
                entry = load_entry_file(path, source="bundled")
                if entry.id in by_id:
                    raise CatalogError(path.name, "id", f"{entry.id} is also defined elsewhere")
                by_id[entry.id] = entry
        problems: list[CatalogProblem] = []
        if user_dir is not None and user_dir.is_dir():
            for path in sorted(user_dir.glob("*.yaml")):
                try:
                    entry = load_entry_file(path, source="user")
                except CatalogError as exc:
                    problems.append(CatalogProblem(path, str(exc)))
                    continue
                by_id[entry.id] = entry  # a user entry wins over a bundled one
        return cls(list(by_id.values()), problems)

    @property
    def entries(self) -> list[CatalogEntry]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry_id: object) -> bool:
        return isinstance(entry_id, str) and entry_id.lower() in self._by_id

    def get(self, entry_id: str) -> CatalogEntry:
        entry = self._by_id.get(entry_id.strip().lower())
        if entry is None:
            raise NotFoundError("catalog app", entry_id)
        return entry

    def categories(self) -> dict[str, int]:
        """Category -> number of apps, sorted by category name."""
        counts = Counter(e.category for e in self._entries)
        return dict(sorted(counts.items(), key=lambda kv: kv[0].lower()))

    def search(
        self, query: str = "", *, category: str | None = None, limit: int | None = None
    ) -> list[CatalogEntry]:
        """Entries matching `query`, best first (an empty query lists all, by name).
        `category` filters case-insensitively; `limit` caps the number returned."""
        if self._index is None:
            self._index = SearchIndex(self._entries)
        return self._index.search(query, category=category, limit=limit)
