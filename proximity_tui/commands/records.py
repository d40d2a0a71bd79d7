"""`proximity-tui apps` and `proximity-tui history`: what the database holds, as text or JSON."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from proximity_tui.commands.common import open_database, print_json, print_table


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    apps = sub.add_parser("apps", parents=[common], help="list the apps in the database")
    apps.add_argument("--json", action="store_true", help="print one JSON array")
    apps.set_defaults(handler=run_apps)

    history = sub.add_parser("history", parents=[common], help="the operations journal")
    history.add_argument("--json", action="store_true", help="print one JSON array")
    history.add_argument(
        "--limit", metavar="N", default="50", help="newest N operations (default 50)"
    )
    history.set_defaults(handler=run_history)


def run_apps(args: argparse.Namespace) -> int:
    from proximity_tui.store import repositories as repo

    with open_database(args) as db, db.session(readonly=True) as s:
        rows = [_app_row(app) for app in repo.list_apps(s)]
    if args.json:
        print_json(rows)
        return 0
    columns = ("id", "name", "hostname", "status", "node", "lxc_id", "url", "owner")
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
        print_json([op.as_dict() for op in ops])
        return 0
    columns = ("id", "started", "kind", "status", "app", "user", "step", "error")
    table: list[Sequence[Any]] = [
        [
            op.id,
            _when(op.started_at),
            op.kind,
            op.status,
            op.hostname or op.app_id or "",
            op.username or "",
            op.step or "",
            _one_line(op.error or "", 60),
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
        "lxc_id": app.lxc_id,
        "url": app.url,
        "owner": app.owner.username if app.owner is not None else None,
    }


def _when(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%SZ")


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
