"""`proximity-tui catalog`: list and search the app catalog, show one app, import a v1 catalog.

catalog [--search Q] [--category C] [--json]
catalog show ID [--json]
catalog import DIR
catalog source add|list|sync|remove, catalog lint (commands/catalog_sources.py)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proximity_tui.services.catalog.service import CatalogEntry, CatalogService


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "catalog",
        parents=[common],
        help="list, search and import the app catalog",
        description="List the catalog (bundled apps plus your own), or import a catalog.",
    )
    _listing_options(p)
    p.set_defaults(handler=run_list)
    inner = p.add_subparsers(dest="catalog_command", metavar="{show,import,source,lint}")
    show = inner.add_parser("show", parents=[common], help="everything about one app")
    show.add_argument("id", help="the app's catalog id")
    show.add_argument("--json", action="store_true", help="print the entry as one JSON object")
    show.set_defaults(handler=run_show)
    imp = inner.add_parser(
        "import",
        parents=[common],
        help="import an original Proximity (v1) catalog into your catalog",
        description="Convert every v1 JSON app file in DIR to this product's YAML format, keep "
        "the defects found as warnings, and write them to your catalog directory.",
    )
    imp.add_argument("dir", type=Path, metavar="DIR", help="a v1 catalog directory (*.json)")
    imp.add_argument(
        "--replace",
        action="store_true",
        help="import entries whose id a bundled app has, over the bundled ones (refused without)",
    )
    imp.set_defaults(handler=run_import)
    from proximity_tui.commands import catalog_sources

    catalog_sources.register(inner, common)


def _listing_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--search", "-s", metavar="Q", default="", help="fuzzy search, best first")
    p.add_argument("--category", "-c", metavar="C", help="only this category")
    p.add_argument(
        "--source", metavar="NAME", help="only this source (bundled, user, an added one)"
    )
    p.add_argument("--json", action="store_true", help="JSON lines: one object per entry")


def _load() -> CatalogService:
    from proximity_tui.config import catalog_sources_dir, user_catalog_dir
    from proximity_tui.files import loosely_writable
    from proximity_tui.services.catalog.service import CatalogService

    directory = user_catalog_dir()
    if loosely_writable(directory):  # others could add entries: deployed as root in a CT
        print(
            f"proximity-tui: warning: {directory} is group- or world-writable: anyone who can "
            f"write there adds apps to your catalog (chmod go-w {directory})",
            file=sys.stderr,
        )
    catalog = CatalogService.load(directory, sources_dir=catalog_sources_dir())
    for problem in catalog.problems:
        print(f"proximity-tui: warning: skipped {problem}", file=sys.stderr)
    return catalog


def _deployed(args: argparse.Namespace) -> dict[str, list[str]]:
    """Entry ref -> the hostnames of the apps deployed from it (the catalog screen's answer)."""
    from proximity_tui.commands.common import database_path
    from proximity_tui.errors import StoreError
    from proximity_tui.services.catalog.deployed import deployed_in_database

    try:
        return deployed_in_database(database_path(args))
    except StoreError as exc:  # the catalog is readable without the database: say so, go on
        print(f"proximity-tui: warning: deployed counts unknown: {exc}", file=sys.stderr)
        return {}


def run_list(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import print_json_lines, print_table
    from proximity_tui.errors import ValidationError

    catalog = _load()
    if args.category is not None and args.category.lower() not in {
        c.lower() for c in catalog.categories()
    }:
        known = ", ".join(catalog.categories())
        raise ValidationError(f"unknown category {args.category!r} (known: {known})")
    if args.source is not None and args.source not in catalog.sources():
        known = ", ".join(catalog.sources())
        raise ValidationError(f"unknown source {args.source!r} (known: {known})")
    entries = catalog.search(args.search, category=args.category, source=args.source)
    deployed = _deployed(args)
    if args.json:
        print_json_lines(
            {
                **summary(e, deployed.get(e.ref, [])),
                "overrides_bundled": catalog.overrides_bundled(e),
            }
            for e in entries
        )
        return 0
    rows = []
    for e in entries:
        web = e.web_port()
        n = len(e.warnings)
        source = e.source + (f" ({n} warning{'s' if n > 1 else ''})" if n else "")
        if catalog.overrides_bundled(e):
            source += ", overrides bundled"
        count = len(deployed.get(e.ref, []))
        rows.append(
            (e.ref, e.name, e.category, e.version, str(web.number) if web else "-", source,
             str(count) if count else "-", e.description.split("\n", 1)[0])
        )  # fmt: skip
    columns = ("id", "name", "category", "version", "web_port", "source", "deployed")
    print_table((*columns, "description"), rows, empty="no apps match")
    if overrides := sorted(e.ref for e in entries if catalog.overrides_bundled(e)):
        print(f"{len(overrides)} replacing a bundled app: {', '.join(overrides)}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import print_json

    entry = _load().get(args.id)
    hostnames = _deployed(args).get(entry.ref, [])
    if args.json:
        data = entry.to_dict()
        data["source"] = entry.source
        data["ref"] = entry.ref
        data["path"] = str(entry.path) if entry.path else None
        data["deployed"] = len(hostnames)
        data["deployed_as"] = hostnames
        print_json(data)
    else:
        if hostnames:  # a YAML comment: the text stays a valid entry file
            sys.stdout.write(f"# deployed {len(hostnames)}: {', '.join(hostnames)}\n")
        sys.stdout.write(entry.to_yaml())
    return 0


def run_import(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import require_change_for
    from proximity_tui.config import user_catalog_dir
    from proximity_tui.errors import ProximityError, ValidationError
    from proximity_tui.files import private_dir
    from proximity_tui.services.catalog.clashes import bundled_clashes
    from proximity_tui.services.catalog.importer import import_v1_dir
    from proximity_tui.services.catalog.schema import CatalogError, load_entry_file
    from proximity_tui.services.catalog.service import CatalogService

    require_change_for(args, "import catalogs")
    source: Path = args.dir
    if not source.is_dir():
        raise ValidationError(f"not a directory: {source}")
    result = import_v1_dir(source)
    bundled = {e.id for e in CatalogService.load().entries}
    clashes = bundled_clashes((e.id for e in result.entries), bundled)
    if clashes and not args.replace:  # an imported entry would silently become the bundled app
        raise ValidationError(
            f"{len(clashes)} {'entry has' if len(clashes) == 1 else 'entries have'} the id of a "
            f"bundled app ({', '.join(clashes)}): nothing imported; --replace imports "
            f"{'it' if len(clashes) == 1 else 'them'} over the bundled "
            f"{'one' if len(clashes) == 1 else 'ones'}",
            field="dir",
        )
    target = private_dir(user_catalog_dir())  # 0700 whatever the umask
    written, replaced = 0, []
    for entry in result.entries:
        path = target / f"{entry.id}.yaml"
        if path.exists():
            try:
                existing = load_entry_file(path, source="user")
            except CatalogError:
                existing = None
            if existing is not None and existing.source != "imported":
                print(f"skipped {entry.id}: your own {path.name} has that id", file=sys.stderr)
                continue
        _write_atomic(
            path, "# Imported from a Proximity v1 catalog; see warnings.\n" + entry.to_yaml()
        )
        written += 1
        replaced += [entry.id] if entry.id in clashes else []
    for problem in result.skipped:
        print(f"skipped {problem}", file=sys.stderr)
    flagged = sum(1 for e in result.entries if e.warnings)
    print(
        f"imported {written} apps into {target} ({flagged} with warnings), "
        f"skipped {len(result.skipped)} files"
    )
    if replaced:
        print(f"replacing bundled apps: {', '.join(replaced)}")
    if written == 0:
        raise ProximityError(f"nothing imported from {source}")
    return 0


def summary(e: CatalogEntry, deployed_as: list[str] | None = None) -> dict[str, Any]:
    web = e.web_port()
    return {
        "id": e.ref,
        "name": e.name,
        "category": e.category,
        "description": e.description,
        "tags": e.tags,
        "version": e.version,
        "website": e.website,
        "web_port": web.number if web else None,
        "source": e.source,
        "warnings": e.warnings,
        "deployed": len(deployed_as or []),
        "deployed_as": list(deployed_as or []),
    }


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".import-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
