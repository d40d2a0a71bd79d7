"""The CLI twin of the dashboard: deploy and manage apps from scripts.

Progress is one line per event (`--json`: one JSON object per line). Exit codes: 0 success,
1 the operation failed, 2 bad usage or input. Ctrl-C during an operation cancels it (it rolls
back) before the command exits.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proximity_tui.services.bootstrap import Services
    from proximity_tui.services.events import OperationEvent


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--json", action="store_true", help="JSON lines instead of text")

    p = sub.add_parser("deploy", parents=[common, out], help="deploy a catalog app")
    p.add_argument("catalog_id", metavar="CATALOG_ID")
    p.add_argument("--hostname", required=True, metavar="H")
    p.add_argument("--node", metavar="N")
    p.add_argument("--cores", type=int, metavar="C")
    p.add_argument("--memory", type=int, metavar="MB")
    p.add_argument("--disk", type=int, metavar="GB")
    p.add_argument("--env", action="append", default=[], metavar="K=V", help="repeatable")
    p.add_argument(
        "--ip",
        metavar="A.B.C.D[/P]|dhcp",
        help="a static address for this CT (or dhcp), overriding [deploy] network",
    )
    p.add_argument("--gw", metavar="A.B.C.D", help="its gateway (default: [deploy] gateway)")
    p.add_argument("--vlan", type=int, metavar="TAG", help="VLAN tag on the bridge (1-4094)")
    p.add_argument(
        "--env-extra",
        action="store_true",
        help="also pass --env names the catalog entry does not declare",
    )
    p.add_argument(
        "--allow-risks",
        action="store_true",
        help="deploy an entry whose warnings say an unprivileged LXC cannot run it as written "
        "(privileged, devices, docker.sock, GPU, host networking reached by name)",
    )
    p.set_defaults(handler=run_deploy)

    for name, help_text in (
        ("start", "start an app"),
        ("stop", "stop an app (compose down, then shut down)"),
        ("restart", "stop then start an app"),
        ("update", "pull new images and recreate, rolling back on failure"),
        ("backup", "back up an app's container (vzdump)"),
        ("backups", "list an app's backups"),
    ):
        p = sub.add_parser(name, parents=[common, out], help=help_text)
        p.add_argument("app", metavar="APP", help="app id, hostname or vmid")
        p.set_defaults(handler=run_simple, action=name)
        if name == "backup":
            p.add_argument("--mode", choices=("snapshot", "suspend", "stop"), help="vzdump mode")
            p.add_argument("--storage", metavar="S", help="a storage that holds backups")
        if name == "update":
            p.add_argument(
                "--dry-run",
                action="store_true",
                help="only print each service's current and new image",
            )

    p = sub.add_parser("delete", parents=[common, out], help="stop, destroy and forget an app")
    p.add_argument("app", metavar="APP")
    p.add_argument("--yes", action="store_true", help="do not ask for the hostname")
    p.set_defaults(handler=run_delete)

    p = sub.add_parser("clone", parents=[common, out], help="copy an app under a new hostname")
    p.add_argument("app", metavar="APP")
    p.add_argument("new_hostname", metavar="NEW_HOSTNAME")
    p.add_argument(
        "--node",
        metavar="NODE",
        help="the node the copy goes to (default: the app's; another needs shared storage)",
    )
    p.set_defaults(handler=run_simple, action="clone")

    p = sub.add_parser("restore", parents=[common, out], help="restore an app from a backup")
    p.add_argument("app", metavar="APP")
    p.add_argument("volid", metavar="VOLID")
    p.set_defaults(handler=run_simple, action="restore")

    p = sub.add_parser(
        "destroy-orphan", parents=[common, out], help="destroy a proximity-tagged CT no app knows"
    )
    p.add_argument("vmid", metavar="VMID")
    p.add_argument("--yes", action="store_true", help="do not ask for the vmid")
    p.set_defaults(handler=run_destroy_orphan)

    p = sub.add_parser(
        "prepare",
        parents=[common, out],
        help="build (or check) a node's Docker-ready base, which later deploys clone",
    )
    p.add_argument("node", metavar="NODE")
    p.add_argument("--rebuild", action="store_true", help="replace a current base too")
    p.add_argument(
        "--with",
        dest="with_apps",
        default="",
        metavar="APP[,APP]",
        help="catalog apps whose images the base carries: their deploys need no pull and "
        "start before the DHCP lease",
    )
    p.set_defaults(handler=run_prepare)


# --- output -------------------------------------------------------------------------------------


class Printer:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def event(self, e: OperationEvent) -> None:
        if e.kind == "progress":
            return
        if self.as_json:
            from proximity_tui.commands.common import print_json

            print_json(e.to_dict())
            return
        from proximity_tui.commands.output import colour_enabled, paint, printable, write_line

        colour = colour_enabled()
        when = paint(e.ts.astimezone().strftime("%H:%M:%S"), "dim", colour)
        step = paint(f"[{printable(e.step)}] ", "cyan", colour) if e.step else ""
        mark = {"step_failed": "FAILED ", "undo": "undo: "}.get(e.kind, "")
        style = {"step_failed": "red bold", "undo": "yellow", "rolled_back": "yellow"}.get(e.kind)
        if e.level in ("error", "warning"):
            style = "red" if e.level == "error" else "yellow"
        if e.kind == "step_finished" and e.duration is not None:
            text = f"done: {printable(e.message)} ({e.duration:.1f}s)"
            style = "green"
        else:
            text = printable(e.message)
        write_line(f"{when} {step}{paint(mark + text, style, colour)}", styled=colour)

    def result(self, obj: Any, text: str) -> None:
        if self.as_json:
            from dataclasses import asdict, is_dataclass

            from proximity_tui.commands.common import print_json

            print_json({"result": asdict(obj) if is_dataclass(obj) else obj})
        elif text:
            from proximity_tui.commands.output import colour_enabled, paint, printable, write_line

            colour = colour_enabled()
            write_line(paint(printable(text), "bold", colour), styled=colour)


def _run_operation(services: Services, printer: Printer, coro) -> Any:
    """Run one operation with its events printed; Ctrl-C cancels it (rolled back) and waits."""
    unsubscribe = services.apps.events.subscribe(printer.event)
    future = services.runtime.submit(coro)
    try:
        while True:
            try:
                return future.result(timeout=0.2)
            except TimeoutError:
                continue
            except KeyboardInterrupt:
                print("proximity-tui: cancelling (the operation rolls back)...", file=sys.stderr)
                for op_id in services.apps.running_operations():
                    services.apps.cancel_operation(op_id, "cancelled by the user (Ctrl-C)")
    finally:
        unsubscribe()


# --- handlers -----------------------------------------------------------------------------------


def run_deploy(args: argparse.Namespace) -> int:
    from proximity_tui.commands.connect import open_services

    env = parse_env(args.env)
    services = open_services(args, change="deploy")
    try:
        if not args.env_extra:
            _refuse_undeclared(env, services.catalog.get(args.catalog_id))
        printer = Printer(args.json)
        app = _run_operation(
            services,
            printer,
            services.apps.deploy_app(
                args.catalog_id,
                args.hostname,
                node=args.node,
                cores=args.cores,
                memory=args.memory,
                disk=args.disk,
                environment=env,
                ip=args.ip,
                gateway=args.gw,
                vlan=args.vlan,
                allow_risks=args.allow_risks,
            ),
        )
        printer.result(app, f"{app.hostname} is {app.status}" + (f": {app.url}" if app.url else ""))
        return 0
    finally:
        services.close()


def parse_env(items: list[str]) -> dict[str, str]:
    """`--env NAME=VALUE` options as a mapping (bad input refused, exit 2)."""
    from proximity_tui.errors import ValidationError

    env: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValidationError(f"--env expects NAME=VALUE, got {item!r}", field="env")
        env[name] = value
    return env


def _refuse_undeclared(env: dict[str, str], entry: Any) -> None:
    """A misspelt `--env` name would deploy silently without the setting: refuse it, and name the
    declared setting it was probably meant to be (the form cannot make this mistake)."""
    import difflib

    from proximity_tui.errors import ValidationError

    declared = [var.name for var in entry.env]
    for name in env:
        if name in declared:
            continue
        close = difflib.get_close_matches(name, declared, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        known = ", ".join(declared) if declared else "none"
        raise ValidationError(
            f"{entry.id} declares no setting {name} (it has: {known}){hint}"
            " Use --env-extra to pass it anyway.",
            field="env",
        )


#: what each simple command changes (the services' wording), for the refusal before connecting
CHANGES = {
    "start": "start", "stop": "stop", "restart": "restart", "update": "update",
    "backup": "backup", "clone": "clone", "restore": "restore",
}  # fmt: skip


def run_simple(args: argparse.Namespace) -> int:
    from proximity_tui.commands.connect import open_services

    dry_run = args.action == "update" and args.dry_run
    services = open_services(args, change=None if dry_run else CHANGES.get(args.action))
    try:
        printer = Printer(args.json)
        app = services.call(services.apps.find_app(args.app))
        apps = services.apps
        action = args.action
        if action == "backups":
            _print_backups(services.call(apps.list_backups(app.id)), app, args.json)
            return 0
        if action == "update" and _show_images(services, printer, app, args.dry_run):
            return 0
        coro = {
            "start": lambda: apps.start_app(app.id),
            "stop": lambda: apps.stop_app(app.id),
            "restart": lambda: apps.restart_app(app.id),
            "update": lambda: apps.update_app(app.id),
            "backup": lambda: apps.backup_app(app.id, mode=args.mode, storage=args.storage),
            "clone": lambda: apps.clone_app(app.id, args.new_hostname, node=args.node),
            "restore": lambda: apps.restore_app(app.id, args.volid),
        }[action]()
        result = _run_operation(services, printer, coro)
        if action == "backup":
            printer.result(result, f"backed up {app.hostname}: {result.volid}")
        else:
            printer.result(result, f"{result.hostname} is {result.status}")
        return 0
    finally:
        services.close()


def _show_images(services: Services, printer: Printer, app: Any, dry_run: bool) -> bool:
    """Say what the update pulls, per service (current → new); True when that is all to do."""
    from dataclasses import asdict

    if not dry_run:  # refused before reading anything: a read-only session learns it first
        services.apps.require_change("update")
    images = services.call(services.apps.update_images(app.id))
    if printer.as_json:
        if dry_run:
            printer.result([asdict(c) for c in images], "")
    else:
        print(f"update {app.hostname}:")
        for change in images:
            print(f"  {change.line()}")
    return dry_run


def run_delete(args: argparse.Namespace) -> int:
    from proximity_tui.commands.connect import open_services

    services = open_services(args, change="delete")
    try:
        app = services.call(services.apps.find_app(args.app))
        untagged = services.call(services.apps.untagged_container(app.id))
        if untagged and args.yes:  # no question to carry it: said on stderr all the same
            print(f"proximity-tui: warning: {untagged}", file=sys.stderr)
        _confirm(
            args.yes,
            f"Delete {app.hostname} (CT {app.vmid} on {app.node}) and its data? "
            + (f"Warning: {untagged}. " if untagged else "")
            + "Type its hostname to confirm: ",
            app.hostname,
        )
        printer = Printer(args.json)
        _run_operation(services, printer, services.apps.delete_app(app.id))
        printer.result({"deleted": app.id}, f"{app.hostname} deleted")
        return 0
    finally:
        services.close()


def run_prepare(args: argparse.Namespace) -> int:
    from proximity_tui.commands.connect import open_services
    from proximity_tui.services.base_images import parse_list

    services = open_services(args, change="prepare nodes")
    try:
        printer = Printer(args.json)
        result = _run_operation(
            services,
            printer,
            services.apps.prepare_node(
                args.node, rebuild=args.rebuild, with_apps=parse_list(args.with_apps)
            ),
        )
        facts = ", ".join(f"{k} {v}" for k, v in result.items() if k not in ("vmid", "node"))
        printer.result(
            result, f"Docker-ready base of {args.node}: CT {result.get('vmid')} ({facts})"
        )
        return 0
    finally:
        services.close()


def run_destroy_orphan(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import require_change_for
    from proximity_tui.commands.connect import open_services
    from proximity_tui.services.validation import check_vmid

    vmid = check_vmid(args.vmid)
    require_change_for(args, "destroy containers")  # before asking a question it would refuse
    _confirm(args.yes, f"Destroy CT {vmid} and its disk? Type {vmid} to confirm: ", str(vmid))
    services = open_services(args)
    try:
        printer = Printer(args.json)
        _run_operation(services, printer, services.apps.destroy_orphan(vmid))
        printer.result({"destroyed": vmid}, f"CT {vmid} destroyed")
        return 0
    finally:
        services.close()


def _confirm(yes: bool, prompt: str, expected: str) -> None:
    """Ask the user to type `expected` (refused without a terminal unless --yes)."""
    from proximity_tui.errors import ValidationError

    if yes:
        return
    if not sys.stdin.isatty():
        raise ValidationError("confirming needs a terminal: pass --yes to skip the question")
    if input(prompt).strip() != expected:
        raise ValidationError("what you typed did not match: nothing was changed")


def _print_backups(items: list[Any], app: Any, as_json: bool) -> None:
    """A listing: JSON lines (exact bytes), or a table (human sizes)."""
    from proximity_tui.commands.output import (
        human_size,
        print_json_lines,
        print_table,
        timestamp,
    )

    if as_json:
        print_json_lines(_backup_dict(b) for b in items)
        return
    rows = [
        [b.volid, human_size(b.size), timestamp(b.created_at), b.node, b.storage] for b in items
    ]
    print_table(
        ("volid", "size", "created_at", "node", "storage"),
        rows,
        empty=f"no backups of {app.hostname}",
    )


def _backup_dict(b) -> dict[str, Any]:
    return {
        "volid": b.volid,
        "size": b.size,
        "created_at": b.created_at.isoformat(),
        "node": b.node,
        "storage": b.storage,
    }
