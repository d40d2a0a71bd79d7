"""`proximity-tui env APP`: the app's environment values that are unknown (after adopt), and
setting them: `--set NAME=VALUE`, `--set NAME` (the value read from stdin, without echo on a
terminal, so a secret never sits in the shell's history), `--generate NAME` (a secret made by
the catalog entry's generator). Values are never printed.

Exit codes: 0 listed or set, 1 the operation failed (the `.env` is put back), 2 bad input
(an undeclared name, a busy app, a viewer): nothing changed.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from proximity_tui.commands.common import print_json_lines, print_table

if TYPE_CHECKING:
    from proximity_tui.services.operations.environment import EnvValue


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "env",
        parents=[common],
        help="list an app's unknown environment values (after adopt); set or generate them",
        description="Without options: the app's declared variables, which are unknown (only "
        "the database that deployed it held them) and which can be generated. --set and "
        "--generate write the CT's .env and the database in one operation.",
    )
    p.add_argument("app", metavar="APP", help="app id, hostname or vmid")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="set a value; NAME alone reads it from stdin (no echo on a terminal). Repeatable",
    )
    p.add_argument(
        "--generate",
        action="append",
        default=[],
        metavar="NAME",
        help="generate a new secret as the catalog entry specifies. Repeatable",
    )
    p.add_argument("--json", action="store_true", help="JSON lines instead of text")
    p.set_defaults(handler=run)


def read_values(items: list[str]) -> dict[str, str]:
    """`--set` options as a mapping; `NAME` alone takes one line of stdin (no echo on a tty)."""
    from proximity_tui.errors import ValidationError

    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not name:
            raise ValidationError(f"--set expects NAME or NAME=VALUE, got {item!r}", field="set")
        if name in out:
            raise ValidationError(f"{name} is set twice", field=name)
        if not sep:
            value = _from_stdin(name)
        out[name] = value
    return out


def _from_stdin(name: str) -> str:
    from proximity_tui.errors import ValidationError

    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"{name}: ")
    line = sys.stdin.readline()
    if not line:
        raise ValidationError(f"--set {name}: no value on stdin", field=name)
    return line.removesuffix("\n").removesuffix("\r")


def run(args: argparse.Namespace) -> int:
    from proximity_tui.commands.connect import open_services
    from proximity_tui.commands.lifecycle import Printer, _run_operation

    given = read_values(args.set)
    on_line = {item.partition("=")[0] for item in args.set if "=" in item}
    generate = tuple(dict.fromkeys(args.generate))
    services = open_services(args, change="set environment values" if given or generate else None)
    try:
        app = services.call(services.apps.find_app(args.app))
        if not given and not generate:
            _show(app.hostname, app.vmid, services.call(services.apps.env_values(app.id)), args)
            return 0
        secret = {v.name for v in services.call(services.apps.env_values(app.id)) if v.secret}
        for name in sorted(on_line & secret):
            print(
                f"proximity-tui: warning: {name} is a secret given on the command line (your "
                f"shell's history keeps it): --set {name} alone reads it from stdin",
                file=sys.stderr,
            )
        printer = Printer(args.json)
        names = _run_operation(
            services, printer, services.apps.set_env(app.id, given, generate=generate)
        )
        printer.result({"app": app.id, "vmid": app.vmid, "set": names}, "")
        if not args.json:
            print(f"{app.hostname}: set {', '.join(names)} (the app reads them at its next update)")
        return 0
    finally:
        services.close()


def _show(hostname: str, vmid: int, values: list[EnvValue], args: argparse.Namespace) -> None:
    """One object per variable (`--json`: JSON lines), the table's headers being its keys."""
    rows = [
        {"app": hostname, "vmid": vmid, "name": v.name, "secret": v.secret, "known": v.known,
         "can_generate": v.generated}
        for v in values
    ]  # fmt: skip
    if args.json:
        print_json_lines(rows)
        return
    columns = ("name", "secret", "known", "can_generate")
    yes = {True: "yes", False: "no"}
    print_table(
        columns,
        [[r["name"], *(yes[r[c]] for c in columns[1:])] for r in rows],
        empty=f"{hostname} declares no variable",
    )
    unknown = [v.name for v in values if not v.known]
    if unknown:
        plural = "s" if len(unknown) != 1 else ""
        print(f"{len(unknown)} value{plural} unknown: {', '.join(unknown)}")
