"""Catalog search and loading.

Figures (each against a baseline measured in the same run):
- ranked fuzzy search over 10,000 generated entries: median ms per query over a mix of exact ids,
  prefixes, typos, tags and description words (target < 16 ms, one frame at 60 Hz), against a
  plain substring scan of the same entries (what a search without ranking or typos costs);
- the one-off cost of building the search index for those 10,000 entries (no target: shown so a
  regression is visible), against the same baseline;
- loading the bundled catalog from its YAML files (median ms; target < 100 ms), against parsing
  the same files with PyYAML's pure-Python loader (what skipping the C loader would cost);
- the real merged catalog (issue 17): bundled plus the CasaOS and Big Bear stores of
  ../shared/reference/app-stores converted as catalog sources (~465 entries; left out with a line
  saying why when the reference data is absent): median and slowest query (target < 16 ms)
  against a substring scan, and loading it with the sources' caches (target < 300 ms) against
  only decoding those caches' JSON.

Run: `python -m bench.bench_catalog`.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from proximity_tui.services.catalog.search import SearchIndex
from proximity_tui.services.catalog.service import BUNDLED_DIR, CatalogEntry, CatalogService

ENTRIES = 10_000
QUERIES = [
    "jellyfin", "jelyfin", "nextcl", "pass", "db", "password manager", "uptime kuma",
    "graf", "monitoring", "rss reader", "dns", "photo backup", "git", "wrdpress", "x",
    "notes markdown", "home automation", "zzzz-nothing", "media server", "pdf",
]  # fmt: skip
SYLLABLES = [a + b for a in "klmnrstvzb" for b in "aeiou"][:20]


def _median_ms(fn: Callable[[], Any], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0


def generated_entries(n: int = ENTRIES, seed: int = 7) -> list[CatalogEntry]:
    """`n` entries that look like a big catalog: bundled apps renamed, with mixed words."""
    rng = random.Random(seed)
    base = CatalogService.load().entries
    words = sorted({w for e in base for w in e.description.lower().split()})
    out = []
    for i in range(n):
        src = base[i % len(base)]
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        name = f"{stem.title()} {src.name}" if i >= len(base) else src.name
        out.append(
            dataclasses.replace(
                src,
                id=f"{stem}-{src.id}-{i}" if i >= len(base) else src.id,
                name=name,
                description=" ".join(rng.sample(words, 12)) + " " + src.description,
                tags=src.tags + [rng.choice(SYLLABLES) + rng.choice(SYLLABLES)],
            )
        )
    return out


def _substring_scan(haystacks: list[str], query: str) -> list[int]:
    q = query.lower()
    return [i for i, text in enumerate(haystacks) if q in text]


def run() -> list[dict[str, Any]]:
    entries = generated_entries()
    haystacks = [
        " ".join(
            [e.id, e.name.lower(), " ".join(e.tags), e.category.lower(), e.description.lower()]
        )
        for e in entries
    ]
    index_ms = _median_ms(lambda: SearchIndex(entries), 3)
    index = SearchIndex(entries)
    for q in QUERIES:  # warm up (first calls pay for imports and caches)
        index.search(q)

    per_query = [_median_ms(lambda q=q: index.search(q), 5) for q in QUERIES]
    base_per_query = [_median_ms(lambda q=q: _substring_scan(haystacks, q), 5) for q in QUERIES]
    search_ms, worst_ms = statistics.median(per_query), max(per_query)
    scan_ms = statistics.median(base_per_query)

    load_ms = _median_ms(CatalogService.load, 7)
    files = sorted(BUNDLED_DIR.glob("*.yaml"))

    def pure_python_parse() -> None:
        for path in files:
            yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)  # noqa: S506

    pure_ms = _median_ms(pure_python_parse, 3)
    return [
        _row(f"fuzzy search, {ENTRIES} entries (median query)", search_ms, scan_ms, 16.0),
        _row(f"fuzzy search, {ENTRIES} entries (slowest query)", worst_ms, scan_ms, 16.0),
        _row(f"build search index, {ENTRIES} entries", index_ms, scan_ms, None),
        _row(f"load bundled catalog ({len(files)} files)", load_ms, pure_ms, 100.0),
        *merged_rows(),
    ]


STORES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "app-stores"


def merged_rows() -> list[dict[str, Any]]:
    """Search and load figures on the bundled catalog merged with the reference stores."""
    import json
    import tempfile

    from proximity_tui.services.catalog.sources import SourceRegistry

    if not (STORES / "casaos-appstore").is_dir():
        print(f"merged catalog: left out, no reference stores at {STORES}")
        return []
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources"
        registry = SourceRegistry(sources)
        for name, folder in (("casaos", "casaos-appstore"), ("bigbear", "big-bear-casaos")):
            registry.add(name, str(STORES / folder))
            registry.sync(name)
        catalog = CatalogService.load(sources_dir=sources)
        entries = catalog.entries
        haystacks = [
            " ".join([e.ref, e.name.lower(), " ".join(e.tags), e.description.lower()])
            for e in entries
        ]
        for q in QUERIES:
            catalog.search(q)
        per_query = [_median_ms(lambda q=q: catalog.search(q), 5) for q in QUERIES]
        scan = statistics.median(
            [_median_ms(lambda q=q: _substring_scan(haystacks, q), 5) for q in QUERIES]
        )
        caches = sorted(sources.glob("*/entries.json"))
        load_ms = _median_ms(lambda: CatalogService.load(sources_dir=sources), 5)
        json_ms = _median_ms(lambda: [json.loads(p.read_bytes()) for p in caches], 5)
    n = len(entries)
    return [
        _row(
            f"fuzzy search, merged catalog {n} (median)", statistics.median(per_query), scan, 16.0
        ),
        _row(f"fuzzy search, merged catalog {n} (slowest)", max(per_query), scan, 16.0),
        _row(f"load catalog with 2 sources ({n} entries)", load_ms, json_ms, 300.0),
    ]


def _row(name: str, figure: float, baseline: float, target: float | None) -> dict[str, Any]:
    return {
        "name": name,
        "figure": round(figure, 3),
        "unit": "ms",
        "baseline": round(baseline, 3),
        "ratio": round(figure / baseline, 2) if baseline else None,
        "target": target,
        "ok": True if target is None else figure < target,
    }


def main() -> None:
    for row in run():
        target = f"< {row['target']:g} ms" if row["target"] is not None else "-"
        print(
            f"{row['name']:<48} {row['figure']:>9.3f} ms  baseline {row['baseline']:>9.3f} ms"
            f"  ratio {row['ratio']:>7}  target {target:<9} {'ok' if row['ok'] else 'SLOW'}"
        )


if __name__ == "__main__":
    main()
