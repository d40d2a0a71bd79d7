"""`proximity-tui adopt`: app rows rebuilt from the identity blocks in the cluster's CTs.

Exit codes: 0 every CT found was adopted (or there was nothing to adopt), 1 some were left as
conflicts or skipped (or refused when recording), 2 bad input. `--dry-run` only reads.
"""

from __future__ import annotations

import argparse
from typing import Any

from proximity_tui.commands.common import print_json, print_table


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "adopt",
        parents=[common],
        help="record the apps of tagged CTs this database does not know (from their identity)",
    )
    p.add_argument(
        "vmids", metavar="VMID", nargs="*", help="only these CTs (required with --catalog-id)"
    )
    p.add_argument(
        "--catalog-id",
        metavar="ID",
        help="adopt the named CTs that carry no identity block as apps of this catalog entry",
    )
    p.add_argument(
        "--untagged",
        action="store_true",
        help="also adopt named CTs that are not tagged 'proximity' (with --catalog-id)",
    )
    p.add_argument(
        "--read-env",
        action="store_true",
        help="take the environment (secrets too) from each running CT's .env instead of "
        "reporting it unknown",
    )
    p.add_argument("--dry-run", action="store_true", help="show what would be adopted")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run_adopt)


def run_adopt(args: argparse.Namespace) -> int:
    from proximity_tui.commands.connect import open_services
    from proximity_tui.errors import ValidationError
    from proximity_tui.services.validation import check_vmid

    vmids = tuple(check_vmid(v) for v in args.vmids)
    if (args.catalog_id or args.untagged) and not vmids:
        raise ValidationError(
            "--catalog-id and --untagged adopt only the CTs you name: give their VMIDs",
            field="vmid",
        )
    services = open_services(args, change=None if args.dry_run else "adopt")
    try:
        plan = services.call(
            services.apps.plan_adoption(
                catalog_id=args.catalog_id,
                vmids=vmids,
                untagged=args.untagged,
                read_env=args.read_env,
            )
        )
        result: dict[str, Any] = {"adopted": [], "refused": {}}
        if not args.dry_run:
            result = services.call(services.apps.adopt(plan))
    finally:
        services.close()
    report = plan.to_json()
    if args.json:
        print_json({**report, "dry_run": args.dry_run, **result})
    else:
        _print(report, result, dry_run=args.dry_run)
    left = plan.conflicts or plan.skipped or result.get("refused")
    return 1 if left else 0


def _print(report: dict[str, Any], result: dict[str, Any], *, dry_run: bool) -> None:
    refused = result.get("refused") or {}
    rows = []
    for item in report["adopt"]:
        if dry_run:
            what = "would adopt"
        elif item["app_id"] in refused:
            what = f"refused: {refused[item['app_id']]}"
        else:
            what = "adopted"
        unknown = ", ".join(item["environment_unknown"])
        rows.append(
            [item["vmid"], item["node"], item["hostname"], item["catalog_id"], item["status"],
             item["url"] or "", what, unknown or "-"]
        )  # fmt: skip
    for kind in ("conflicts", "skipped"):
        for item in report[kind]:
            label = "conflict" if kind == "conflicts" else "skipped"
            rows.append(
                [item["vmid"], item["node"] or "-", item["hostname"] or "-", "-", "-", "",
                 f"{label}: {item['reason']}", "-"]
            )  # fmt: skip
    columns = ("vmid", "node", "hostname", "catalog_id", "status", "url", "outcome", "env_unknown")
    print_table(columns, rows, empty="no tagged CT to adopt")
    if report["known"]:
        print(f"{report['known']} tagged CT(s) already known to this database")
    if any(item["environment_unknown"] for item in report["adopt"]):
        print(
            "environment values only the old database held are unknown (the apps run with "
            "the .env in their CT); re-enter them if you need them here"
        )
