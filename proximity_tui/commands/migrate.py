"""`proximity-tui migrate PATH`: import the original Proximity's apps.json into the database."""

from __future__ import annotations

import argparse
import sys

from proximity_tui.commands.common import print_json, require_change_for, settings_from_args


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "migrate",
        parents=[common],
        help="import apps from the original Proximity's apps.json",
        description="Import apps from the original Proximity's apps.json (idempotent: a rerun "
        "changes nothing). Exit code 0: every entry imported or unchanged; 1: some skipped; "
        "2: the file cannot be used (then nothing is changed).",
    )
    parser.add_argument("path", metavar="PATH", help="the apps.json file")
    parser.add_argument(
        "--dry-run", action="store_true", help="validate and report, change no file"
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from proximity_tui.cli import fail
    from proximity_tui.services.migration.apply import migrate_file

    settings = settings_from_args(args)
    if not args.dry_run:  # a dry run writes nothing: read-only sessions and viewers may
        require_change_for(args, "migrate apps")
    report = migrate_file(
        settings.db_path, args.path, dry_run=args.dry_run, read_only=settings.ui.read_only
    )
    if args.json:
        print_json(report.as_dict())
    else:
        out = sys.stdout
        for entry in report.entries:
            out.write(entry.line() + "\n")
        if report.entries:
            out.write("\n")
        out.write("\n".join(report.summary_lines()) + "\n")
        out.flush()
    if report.error:
        fail(report.error)
    return report.exit_code
