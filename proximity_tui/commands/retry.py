"""`proximity-tui retry OP`: run a failed deploy again with the same settings (the dashboard's
`r` on the Operations screen). Values given to the first deploy come again with `--env`: the
journal keeps their names only."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "retry",
        parents=[common],
        help="run a failed deploy again with the same settings",
        description="Deploy again what failed deploy OP asked for: entry, hostname, node, "
        "resources, network. Environment values it was given must be given again (--env): "
        "the journal keeps no values. Exit codes as deploy.",
    )
    p.add_argument("op", metavar="OP", help="the failed deploy's operation id (see history)")
    p.add_argument("--env", action="append", default=[], metavar="K=V", help="repeatable")
    p.add_argument("--json", action="store_true", help="JSON lines instead of text")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from proximity_tui.commands.connect import open_services
    from proximity_tui.commands.lifecycle import Printer, _run_operation, parse_env
    from proximity_tui.errors import ValidationError

    op = str(args.op).lstrip("#")
    if not op.isdigit():
        raise ValidationError(f"OP must be an operation id, got {args.op!r}", field="op")
    env = parse_env(args.env)
    services = open_services(args, change="retry deploys")
    try:
        plan = services.call(services.apps.retry_plan(int(op)))
        if not args.json:
            print(f"retrying deploy #{plan.op_id}: {plan.describe()}", flush=True)
        printer = Printer(args.json)
        app = _run_operation(services, printer, services.apps.retry_deploy(int(op), env))
        printer.result(app, f"{app.hostname} is {app.status}" + (f": {app.url}" if app.url else ""))
        return 0
    finally:
        services.close()
