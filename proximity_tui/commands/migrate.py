"""`proximity-tui migrate PATH`: import the original Proximity's apps.json into the database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from proximity_tui.commands.common import print_json, require_change_for, settings_from_args

if TYPE_CHECKING:
    from proximity_tui.proxmox.models import Guest
    from proximity_tui.services.migration.adoption import Adoption
    from proximity_tui.services.migration.apply import MigrationReport


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
    parser.add_argument(
        "--adopt-untagged",
        action="store_true",
        help="also adopt containers without the 'proximity' tag (apps of Proximity v1 carry none); "
        "by default each app's CT is looked up and an untagged one skipped",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from proximity_tui.cli import fail
    from proximity_tui.services.migration.apply import migrate_file
    from proximity_tui.services.migration.reader import load_entries

    settings = settings_from_args(args)
    if not args.dry_run:  # a dry run writes nothing: read-only sessions and viewers may
        require_change_for(args, "migrate apps")
    load_entries(Path(args.path).expanduser())  # an unusable file is refused before connecting
    adoption = _adoption(args)
    report = migrate_file(
        settings.db_path,
        args.path,
        dry_run=args.dry_run,
        read_only=settings.ui.read_only,
        adoption=adoption,
    )
    identity = _identities(args, report, adoption)
    if args.json:
        print_json({**report.as_dict(), "identity": identity})
    else:
        out = sys.stdout
        for entry in report.entries:
            out.write(entry.line() + "\n")
        if report.entries:
            out.write("\n")
        out.write("\n".join(report.summary_lines()) + "\n")
        for app_id, vmid in (identity or {}).get("written", {}).items():
            out.write(f"identity block written to CT {vmid} ({app_id})\n")
        for app_id, why in (identity or {}).get("left", {}).items():
            out.write(f"identity block not written for {app_id}: {why}\n")
        out.flush()
    if report.error:
        fail(report.error)
    return report.exit_code


def _identities(
    args: argparse.Namespace, report: MigrationReport, adoption: Adoption
) -> dict[str, dict] | None:
    """Write the identity block into the migrated apps' CTs (one journaled operation), so a
    second instance can adopt them at once; None when there is nothing to write or no cluster
    was asked. Failing to is a warning: the apps are migrated, their next update writes it."""
    from proximity_tui.errors import ProximityError

    ids = [
        e.id for e in report.entries if e.id and e.outcome in ("created", "updated", "unchanged")
    ]
    if args.dry_run or report.error or not ids or adoption.containers is None:
        return None
    from proximity_tui.commands.connect import open_services

    try:
        services = open_services(args)
    except ProximityError as exc:
        print(f"proximity-tui: warning: identity blocks not written: {exc}", file=sys.stderr)
        return None
    try:
        return services.call(services.apps.write_identities(ids))
    except ProximityError as exc:
        print(f"proximity-tui: warning: identity blocks not written: {exc}", file=sys.stderr)
        return None
    finally:
        services.close()


def _adoption(args: argparse.Namespace) -> Adoption:
    """The cluster's containers, from one `/cluster/resources` call (the demo's with --demo),
    so that only CTs tagged 'proximity' are adopted. With --adopt-untagged, Proxmox is still
    asked when it can be (a CT named otherwise is never adopted), else nothing is checked."""
    from proximity_tui.errors import ProximityError
    from proximity_tui.services.migration.adoption import Adoption

    adopt = bool(args.adopt_untagged)
    if adopt and not args.demo and not settings_from_args(args).configured:
        return Adoption(adopt_untagged=True)  # nothing to ask: the summary says so
    try:
        guests = _cluster_containers(args)
    except ProximityError as error:
        if adopt:
            print(f"proximity-tui: warning: containers not checked: {error}", file=sys.stderr)
            return Adoption(adopt_untagged=True)
        said = ProximityError(
            f"{error}; migrate looks up each app's container to adopt only those tagged "
            "'proximity' (--adopt-untagged imports them without that check)"
        )
        said.exit_code = error.exit_code
        raise said from error
    return Adoption.of(guests, adopt_untagged=adopt)


def _cluster_containers(args: argparse.Namespace) -> list[Guest]:
    import asyncio

    from proximity_tui.commands.connect import host_settings, open_services
    from proximity_tui.proxmox.client import ProxmoxClient

    if args.demo:  # the demo's simulator lives with its services
        services = open_services(args)
        try:
            return services.call(services.client.cluster_resources())
        finally:
            services.close(wait=10)

    async def ask() -> list[Guest]:
        # The client alone: the services would open (create, upgrade) the database, which a
        # dry run must not touch.
        async with ProxmoxClient.from_settings(host_settings(args).proxmox) as client:
            await client.connect()
            return await client.cluster_resources()

    return asyncio.run(ask())
