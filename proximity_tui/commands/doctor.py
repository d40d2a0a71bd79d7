"""`proximity-tui doctor [--json]`: is this Proxmox host ready for the product, and if not, why."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from proximity_tui.commands.common import print_json, settings_from_args

if TYPE_CHECKING:
    from proximity_tui.services.doctor import Report

MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "doctor",
        parents=[common],
        help="check the Proxmox host for everything the product needs",
        description="Checks version, certificate, credentials, privileges, storages, bridges, "
        "DHCP, templates, pct on every node and known Docker-in-LXC breakages; says how to fix "
        "each problem. Exit 0 when everything needed works, 1 otherwise.",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=run_doctor_command)


def run_doctor_command(args: argparse.Namespace) -> int:
    if getattr(args, "demo", False):
        report = _demo_report(tuple(getattr(args, "profile", None) or ()))
    else:
        settings = settings_from_args(args)
        if not settings.configured:
            from proximity_tui.commands.connect import NotConfigured

            raise NotConfigured(
                f"no Proxmox host configured ({settings.config_path} does not exist): run "
                "`proximity-tui` to connect, or try `--demo`"
            )
        from proximity_tui.services.doctor import check_settings

        report = asyncio.run(check_settings(settings))
    if args.json:
        print_json(report.as_dict())
    else:
        print_report(report)
    return 0 if report.ok else 1


def _demo_report(profiles: tuple[str, ...] = ()) -> Report:
    from proximity_tui.demo import build_demo_services
    from proximity_tui.services.doctor import run_doctor

    services = build_demo_services(seed_apps=False, profiles=profiles)
    try:
        return services.call(
            run_doctor(
                services.client,
                services.exec,
                services.settings,
                services.journal,
                services.catalog,
            )
        )
    finally:
        services.close(wait=0)


def print_report(report: Report) -> None:
    from proximity_tui.commands.output import (
        STATUS_STYLES,
        colour_enabled,
        paint,
        printable,
        write_line,
    )
    from proximity_tui.services.doctor import summary

    colour = colour_enabled()
    for check in report.checks:
        mark = paint(MARKS[check.status], STATUS_STYLES.get(check.status), colour)
        write_line(f"[{mark}] {printable(check.name)}: {printable(check.detail)}", styled=colour)
        for line in check.fix.splitlines() if check.status != "ok" else ():
            write_line(f"         fix: {printable(line)}")
    verdict = paint("ok:" if report.ok else "not ready:", "green" if report.ok else "red", colour)
    write_line(f"{verdict} {printable(summary(report))}", styled=colour)
