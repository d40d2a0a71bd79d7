"""`proximity-tui export FILE` / `import FILE`: the installation as one YAML file
(`services/transfer/installation.py`). The passphrase for `--with-secrets` comes from a prompt or
`--passphrase-file`, never the command line.

Exit codes: 0 done (import: everything imported), 1 some entries skipped, 2 bad input (nothing
changed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from proximity_tui.commands.common import print_json


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "export",
        parents=[common],
        help="write apps, settings, users and roles, catalog sources to a YAML file (0600)",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--with-secrets",
        action="store_true",
        help="include the apps' secrets, sealed with a passphrase (asked, or --passphrase-file)",
    )
    p.add_argument("--passphrase-file", metavar="PATH", help="read the passphrase from a file")
    p.add_argument("--json", action="store_true", help="print a summary as one JSON object")
    p.set_defaults(handler=run_export)

    p = sub.add_parser(
        "import",
        parents=[common],
        help="add what an export file holds and this database lacks (an admin's command)",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--passphrase-file", metavar="PATH", help="read the passphrase from a file")
    p.add_argument(
        "--skip-secrets", action="store_true", help="leave sealed secrets out (no passphrase)"
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(handler=run_import)


def _passphrase(args: argparse.Namespace, *, confirm: bool) -> str:
    from proximity_tui.errors import ValidationError

    if args.passphrase_file:
        try:
            text = Path(args.passphrase_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"--passphrase-file: {exc}", field="passphrase") from None
        return text.splitlines()[0] if text.strip() else ""
    if not sys.stdin.isatty():
        raise ValidationError(
            "a passphrase is needed: run it on a terminal or give --passphrase-file",
            field="passphrase",
        )
    import getpass

    first = getpass.getpass("Passphrase: ")
    if confirm and getpass.getpass("Passphrase again: ") != first:
        raise ValidationError("the two passphrases differ", field="passphrase")
    return first


def run_export(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import open_database, require_change_for
    from proximity_tui.config import catalog_sources_dir
    from proximity_tui.services.catalog.sources import SourceRegistry
    from proximity_tui.services.transfer import sealed
    from proximity_tui.services.transfer.installation import export_installation, write_export

    passphrase = None
    if args.with_secrets:  # revealing secrets is a change-level right, like the detail screen's
        require_change_for(args, "export secrets")
        passphrase = sealed.check_passphrase(_passphrase(args, confirm=True))
    with open_database(args) as db:
        doc = export_installation(db, SourceRegistry(catalog_sources_dir()), passphrase=passphrase)
    write_export(Path(args.file), doc)
    summary = {
        "file": str(args.file),
        "apps": len(doc["apps"]),
        "users": len(doc["users"]),
        "settings": len(doc["settings"]),
        "catalog_sources": len(doc["catalog_sources"]),
        "secrets": "sealed" if passphrase else f"{len(doc['secrets_omitted'])} left out",
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"exported {summary['apps']} apps, {summary['users']} users, {summary['settings']} "
            f"settings, {summary['catalog_sources']} catalog sources to {args.file} (mode 0600); "
            f"secrets: {summary['secrets']}"
        )
    return 0


def run_import(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import open_database, require_change_for
    from proximity_tui.config import catalog_sources_dir
    from proximity_tui.services.catalog.sources import SourceRegistry
    from proximity_tui.services.transfer.installation import import_installation, read_export
    from proximity_tui.services.users import acting_user

    require_change_for(args, "import")
    doc = read_export(Path(args.file))  # an unusable file changes nothing
    passphrase = None
    if doc.get("secrets") is not None and not args.skip_secrets:
        passphrase = _passphrase(args, confirm=False)
    with open_database(args) as db:
        report = import_installation(
            db,
            doc,
            SourceRegistry(catalog_sources_dir()),
            acting_user(db),
            passphrase=passphrase,
        )
    if args.json:
        print_json(report.as_dict())
        if report.skipped:
            print(f"proximity-tui: {len(report.skipped)} skipped", file=sys.stderr)
    else:
        print(
            f"imported {len(report.apps)} apps, {len(report.users)} users, "
            f"{len(report.settings)} settings, {len(report.sources)} catalog sources; "
            f"{report.secrets} secrets restored"
        )
        for line in report.skipped:
            print(f"proximity-tui: skipped: {line}", file=sys.stderr)
        if report.sources:
            print("run `proximity-tui catalog source sync` to fetch the imported sources")
    return 1 if report.skipped else 0
