"""`proximity-tui setup [--dry-run]`: create a least-privilege user, role, pool and API token.

Run once with a root@pam config (password or a root@pam token). It prints each change it made
and rewrites the config (mode 0600) to use the new token and pool; `--dry-run` prints the
equivalent `pveum` commands and changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from proximity_tui.commands.common import settings_from_args

if TYPE_CHECKING:
    from proximity_tui.config import Settings
    from proximity_tui.services.setup import SetupNames


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from proximity_tui.services.setup import SetupNames

    d = SetupNames()
    p = sub.add_parser(
        "setup",
        parents=[common],
        help="create a least-privilege Proxmox user, role, pool and token (run as root@pam)",
        description="Creates a user, a role with only the privileges the product needs, a pool "
        "for its containers and a privilege-separated API token, grants the role on the pool, "
        "the storages, the nodes and the bridge, and rewrites the config to use the token.",
    )
    p.add_argument("--dry-run", action="store_true", help="print the pveum commands instead")
    p.add_argument("--user", default=d.user, help=f"user to create (default {d.user})")
    p.add_argument("--role", default=d.role, help=f"role to create (default {d.role})")
    p.add_argument("--pool", default=d.pool, help=f"pool to create (default {d.pool})")
    p.add_argument("--token", default=d.token, help=f"API token id (default {d.token})")
    p.set_defaults(handler=run_setup_command)


def run_setup_command(args: argparse.Namespace) -> int:
    from proximity_tui.services.setup import SetupNames

    names = SetupNames(user=args.user, role=args.role, pool=args.pool, token=args.token)
    names.validate()  # bad input: one line, before any connection
    if getattr(args, "demo", False):
        from proximity_tui.commands.connect import NotConfigured

        raise NotConfigured("setup changes a real host: run it without --demo")
    settings = settings_from_args(args)
    if not settings.configured or settings.config_path is None:
        from proximity_tui.commands.connect import NotConfigured

        raise NotConfigured(
            f"no Proxmox host configured ({settings.config_path} does not exist): connect as "
            "root@pam first (`proximity-tui`), then run setup"
        )
    return asyncio.run(_setup(settings, names, dry_run=args.dry_run))


async def _setup(settings: Settings, names: SetupNames, *, dry_run: bool) -> int:
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.services.setup import apply_setup, plan_setup, write_setup_config

    client = ProxmoxClient.from_settings(settings.proxmox)
    try:
        plan = await plan_setup(client, settings, names)
        if dry_run:
            print("# proximity-tui setup --dry-run: nothing was changed. As root on a node:")
            for command in plan.pveum_commands():
                print(command)
            print(
                f"# then in {settings.config_path}: [proxmox] user = {names.user!r}, "
                f"token_name = {names.token!r}, token_value = <the secret printed by pveum>; "
                f"[deploy] pool = {names.pool!r}"
            )
            return 0
        result = await apply_setup(client, plan, report=lambda line: print(line, flush=True))
    finally:
        client.close()
    assert settings.config_path is not None
    path = write_setup_config(settings.config_path, plan, result)
    print(
        f"wrote {path} (mode 0600): [proxmox] user = {names.user}, token {result.token_id} "
        f"(secret stored in the file, not shown); [deploy] pool = {names.pool}"
    )
    print("check it with: proximity-tui doctor", file=sys.stdout)
    return 0
