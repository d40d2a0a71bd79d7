"""`proximity-tui apps` and `proximity-tui history`: what the database holds, as text or JSON."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from proximity_tui.commands.common import open_database, print_json_lines, print_table
from proximity_tui.commands.output import timestamp


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    apps = sub.add_parser("apps", parents=[common], help="list the apps in the database")
    apps.add_argument("--json", action="store_true", help="JSON lines: one object per app")
    apps.set_defaults(handler=run_apps)

    history = sub.add_parser("history", parents=[common], help="the operations journal")
    history.add_argument("--json", action="store_true", help="JSON lines: one object per operation")
    history.add_argument(
        "--limit", metavar="N", default="50", help="newest N operations (default 50)"
    )
    history.set_defaults(handler=run_history)


def run_apps(args: argparse.Namespace) -> int:
    from proximity_tui.store import repositories as repo

    with open_database(args) as db, db.session(readonly=True) as s:
        rows = [_app_row(app) for app in repo.list_apps(s)]
    if args.json:
        print_json_lines(rows)
        return 0
    columns = ("id", "name", "hostname", "status", "node", "vmid", "url", "owner")
    print_table(columns, [[row[c] for c in columns] for row in rows], empty="no apps")
    return 0


def run_history(args: argparse.Namespace) -> int:
    from proximity_tui.errors import ValidationError
    from proximity_tui.services.journal import Journal

    limit = str(args.limit)
    if not limit.isdigit() or int(limit) < 1:
        raise ValidationError(f"--limit must be a positive integer, got {limit!r}", field="limit")
    with open_database(args) as db:
        ops = Journal(db).list(limit=int(limit))
    if args.json:
        print_json_lines(op.as_dict() for op in ops)
        return 0
    columns = ("id", "started_at", "kind", "status", "hostname", "user", "step", "error")
    table: list[Sequence[Any]] = [
        [
            op.id,
            timestamp(op.started_at),
            op.kind,
            op.status,
            op.hostname or op.app_id or "",
            op.username or "",
            op.step or "",
            " ".join((op.error or "").split()),  # whole: a terminal fits it, a pipe keeps it
        ]
        for op in ops
    ]
    print_table(columns, table, empty="no operations yet")
    return 0


def _app_row(app: Any) -> dict[str, Any]:
    return {
        "id": app.id,
        "name": app.name,
        "hostname": app.hostname,
        "status": app.status,
        "node": app.node,
        "vmid": app.lxc_id,
        "url": app.url,
        "owner": app.owner.username if app.owner is not None else None,
    }
