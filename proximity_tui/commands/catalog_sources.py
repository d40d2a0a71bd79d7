"""`proximity-tui catalog source ...` and `catalog lint`: app stores added as catalog sources.

catalog source add NAME URL-or-PATH [--format F] [--override-bundled] [--no-sync]
catalog source list [--json]
catalog source sync [NAME]
catalog source remove NAME
catalog lint [--source NAME] [--json]
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proximity_tui.services.catalog.sources import SourceRegistry, SyncReport

FORMATS = ("casaos", "runtipi", "proximity-v1", "native")


def register(inner: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    src = inner.add_parser(
        "source",
        parents=[common],
        help="add, sync, list and remove catalog sources (app stores)",
        description="App stores (CasaOS, Big Bear, Runtipi, Proximity v1, or catalogs in this "
        "product's format) added as sources: a local checkout or an https zip/tar.gz archive, "
        "converted and cached in your data directory. Nothing is fetched unless you sync.",
    )
    ops = src.add_subparsers(dest="source_command", metavar="{add,list,sync,remove}")
    add = ops.add_parser("add", parents=[common], help="add a source and sync it")
    add.add_argument("name", help="a short name: entries show as NAME/app")
    add.add_argument("location", help="a local directory or an https:// zip or tar.gz archive")
    add.add_argument("--format", choices=FORMATS, help="the store's format (default: detected)")
    add.add_argument(
        "--override-bundled",
        action="store_true",
        help="this source's entries take the ids of bundled ones (default: bundled entries win; "
        "the source's stay reachable as NAME/id)",
    )
    add.add_argument("--no-sync", action="store_true", help="only register it")
    add.set_defaults(handler=run_add)
    lst = ops.add_parser("list", parents=[common], help="the sources and their figures")
    lst.add_argument("--json", action="store_true", help="JSON lines: one object per source")
    lst.set_defaults(handler=run_list)
    sync = ops.add_parser("sync", parents=[common], help="read or download, convert, cache")
    sync.add_argument("name", nargs="?", help="one source (default: all)")
    sync.set_defaults(handler=run_sync)
    rm = ops.add_parser("remove", parents=[common], help="remove a source and its cache")
    rm.add_argument("name")
    rm.set_defaults(handler=run_remove)
    src.set_defaults(handler=run_list, json=False)

    lint = inner.add_parser(
        "lint",
        parents=[common],
        help="the quality report of the catalog or of one source",
        description="Counts: entries converted, skipped by reason, warnings by code.",
    )
    lint.add_argument("--source", metavar="NAME", help="an added source (default: bundled)")
    lint.add_argument("--json", action="store_true", help="print the report as one JSON object")
    lint.set_defaults(handler=run_lint)


def _registry() -> SourceRegistry:
    from proximity_tui.config import catalog_sources_dir
    from proximity_tui.services.catalog.sources import SourceRegistry

    return SourceRegistry(catalog_sources_dir())


def run_add(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import require_change_for

    require_change_for(args, "add catalog sources")
    registry = _registry()
    source = registry.add(
        args.name, args.location, args.format or "", override_bundled=args.override_bundled
    )
    print(f"added source {source.name} ({source.location})")
    if not args.no_sync:
        _sync_one(registry, source.name)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from proximity_tui.commands.common import print_json_lines, print_table

    sources = _registry().all()
    if getattr(args, "json", False):
        print_json_lines(asdict(s) for s in sources)
        return 0
    rows = [
        (s.name, s.format or "?", s.converted, s.skipped, s.synced_at or "never", s.location)
        for s in sources
    ]
    print_table(
        ("name", "format", "converted", "skipped", "synced_at", "location"),
        rows,
        empty="no catalog sources (add one: proximity-tui catalog source add NAME PATH-or-URL)",
    )
    return 0


def run_sync(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import require_change_for
    from proximity_tui.errors import NotFoundError

    require_change_for(args, "sync catalog sources")
    registry = _registry()
    names = [args.name] if args.name else [s.name for s in registry.all()]
    if not names:
        raise NotFoundError("catalog source", "(none added)")
    for name in names:
        _sync_one(registry, name)
    return 0


def _sync_one(registry: SourceRegistry, name: str) -> SyncReport:
    report = registry.sync(name, progress=_progress_bar(), log=lambda m: print(f"{name}: {m}"))
    if report.sha256:
        sys.stderr.write("\n" if sys.stderr.isatty() else "")
    s = report.source
    print(f"{name}: {s.format}: converted {s.converted}, skipped {s.skipped}")
    for reason, count in report.result.skipped_by_reason().items():
        print(f"  skipped {count}: {reason}")
    return report


def _progress_bar() -> Any:
    interactive = sys.stderr.isatty()

    def show(done: int, total: int | None) -> None:
        if not interactive:
            return
        if total:
            filled = int(30 * done / total)
            bar = "#" * filled + "." * (30 - filled)
            sys.stderr.write(f"\r[{bar}] {done * 100 // total:3d}% {done // 1024} KiB")
        else:
            sys.stderr.write(f"\r{done // 1024} KiB")
        sys.stderr.flush()

    return show


def run_remove(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import require_change_for

    require_change_for(args, "remove catalog sources")
    source = _registry().remove(args.name)
    print(f"removed source {source.name} and its cache")
    return 0


def run_lint(args: argparse.Namespace) -> int:
    from collections import Counter

    from proximity_tui.commands.common import print_json
    from proximity_tui.services.catalog.lint import DEFECTS, lint_entry
    from proximity_tui.services.catalog.service import CatalogService

    if args.source:
        registry = _registry()
        source = registry.get(args.source)
        entries, data = registry.cached(source.name)
        if not data:
            from proximity_tui.errors import ValidationError

            raise ValidationError(
                f"{source.name} was never synced (catalog source sync {source.name})"
            )
        report: dict[str, Any] = {
            "source": source.name,
            "format": data.get("format"),
            "converted": len(entries),
            "skipped": sum(data.get("skipped_by_reason", {}).values()),
            "skipped_by_reason": data.get("skipped_by_reason", {}),
            "warnings_by_code": data.get("warnings_by_code", {}),
        }
    else:
        # The bundled entries are reviewed: defects must be none; the rest (host networking, the
        # CT's own docker.sock for a Docker UI) are listed as reviewed notes.
        catalog = CatalogService.load()
        codes: Counter[str] = Counter()
        for entry in catalog.entries:
            codes.update({w.split(":", 1)[0] for w in lint_entry(entry)})
        report = {
            "source": "bundled",
            "converted": len(catalog),
            "skipped": 0,
            "skipped_by_reason": {},
            "warnings_by_code": {c: n for c, n in sorted(codes.items()) if c in DEFECTS},
            "reviewed_by_code": {c: n for c, n in sorted(codes.items()) if c not in DEFECTS},
        }
    if args.json:
        print_json(report)
        return 0
    print(f"{report['source']}: converted {report['converted']}, skipped {report['skipped']}")
    for reason, count in report["skipped_by_reason"].items():
        print(f"  skipped {count}: {reason}")
    warnings = report["warnings_by_code"]
    print(f"warnings: {sum(warnings.values())} (entries per code)")
    for code, count in warnings.items():
        print(f"  {code}: {count}")
    for code, count in report.get("reviewed_by_code", {}).items():
        print(f"  reviewed {code}: {count}")
    return 0
