"""`proximity-tui sim`: run the embedded Proxmox VE simulator until SIGINT/SIGTERM.

The simulator's own command (`python -m pvesim`, `pvesim/cli.py`) with one addition:
`--write-config` writes a Proximity config.toml that connects to it (before the JSON line, so a
script that read the line finds the file). Its errors become ours: a bad option exits 2, a
simulator that cannot start 1, each one line on stderr.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from proximity_tui.config import write_config


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from pvesim.cli import add_arguments

    p = sub.add_parser(
        "sim",
        parents=[common],
        help="run the embedded Proxmox VE simulator (HTTPS API + SSH pct)",
        description="Run a simulated Proxmox VE cluster on loopback until interrupted. Prints "
        "one JSON line with its URLs, fingerprints and credentials.",
    )
    add_arguments(p)
    p.add_argument(
        "--write-config", type=Path, metavar="PATH", help="write a Proximity config.toml for it"
    )
    p.add_argument(
        "--config-auth",
        choices=("token", "password"),
        default="token",
        help="credentials the written config uses (default: token)",
    )
    p.set_defaults(handler=run_sim)


def run_sim(args: argparse.Namespace) -> int:
    from proximity_tui.errors import ProximityError, ValidationError
    from pvesim.cli import StartError, UsageError, serve

    def ready(sim) -> None:
        if args.write_config is not None:
            write_config(args.write_config, sim.client_settings(auth=args.config_auth))

    try:
        return serve(args, profiles=getattr(args, "profile", None) or (), on_ready=ready)
    except UsageError as exc:
        raise ValidationError(str(exc), field=exc.field) from None
    except StartError as exc:
        raise ProximityError(str(exc)) from None
