"""`proximity-tui users`: who is recorded and with which role; an admin grants roles.

users [--json]
users set-role NAME ROLE
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "users",
        parents=[common],
        help="list users and their roles; an admin grants roles",
        description="Users are operating-system accounts (the effective uid), recorded on first "
        "use: the first is admin, anyone else a viewer until an admin grants a role.",
    )
    p.add_argument("--json", action="store_true", help="JSON lines: one object per user")
    p.set_defaults(handler=run_list)
    inner = p.add_subparsers(dest="users_command", metavar="{set-role}")
    grant = inner.add_parser("set-role", parents=[common], help="give a user a role (admins)")
    grant.add_argument("name", help="the operating-system user name")
    grant.add_argument("role", choices=("admin", "operator", "viewer"))
    grant.set_defaults(handler=run_set_role)


def run_list(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import open_database, print_json_lines, print_table
    from proximity_tui.services.users import list_users

    with open_database(args) as db:
        rows = [
            {"username": u.username, "role": u.role, "active": u.is_active} for u in list_users(db)
        ]
    if args.json:
        print_json_lines(rows)
    else:
        columns = ("username", "role", "active")
        print_table(columns, [[r[c] for c in columns] for r in rows], empty="no users yet")
    return 0


def run_set_role(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import open_database, settings_from_args
    from proximity_tui.services.users import acting_user, require_change, set_role

    require_change(None, "grant roles", read_only=settings_from_args(args).ui.read_only)
    with open_database(args) as db:
        user = set_role(db, acting_user(db), args.name, args.role)
    print(f"{user.username} is now {user.role}")
    return 0
