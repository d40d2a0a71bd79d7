"""Helpers shared by the subcommands: settings from the parsed flags, JSON output."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proximity_tui.config import Settings, load_settings
from proximity_tui.text import printable

if TYPE_CHECKING:
    from proximity_tui.store.db import Database


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    """Settings for a command: the config file and environment, then the flags."""
    extra = dict(overrides)
    if getattr(args, "read_only", False):
        extra["ui.read_only"] = True
    db_path = getattr(args, "db", None)
    demo = bool(getattr(args, "demo", False))
    profiles = tuple(getattr(args, "profile", None) or ())
    if demo and db_path is None:
        from proximity_tui.config import demo_data_dir

        # demo mode never touches real data
        db_path = demo_data_dir(profiles) / "proximity.db"
    settings = load_settings(getattr(args, "config", None), db_path=db_path, overrides=extra)
    settings.demo = demo
    settings.demo_profiles = profiles
    return settings


def print_json(obj: Any) -> None:
    """One JSON document (or one JSON line) on stdout."""
    sys.stdout.write(json.dumps(obj, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()


def open_database(args: argparse.Namespace) -> Database:
    """The database the flags, environment and config point at (created and upgraded if needed)."""
    from proximity_tui.store.db import Database

    return Database.open(settings_from_args(args).db_path)


def require_change_for(args: argparse.Namespace, action: str) -> None:
    """The services' permission check for a command that changes things without them (migrate,
    catalog import): read-only mode first, then the acting user's role, before anything is
    written. With no database yet, nobody is recorded: the user would be its first admin.
    `catalog import` needs no Proxmox host, so a config it cannot read leaves the flag and the
    database the environment points at."""
    from proximity_tui.config import ConfigError, default_data_dir
    from proximity_tui.services.users import acting_user, require_change

    try:
        settings: Settings | None = settings_from_args(args)
    except ConfigError:
        settings = None
    read_only = bool(getattr(args, "read_only", False)) or bool(settings and settings.ui.read_only)
    require_change(None, action, read_only=read_only)
    db_path = (
        settings.db_path
        if settings
        else Path(os.environ.get("PROXIMITY_DB") or default_data_dir() / "proximity.db")
    )
    if db_path.exists():
        from proximity_tui.store.db import Database

        with Database.open(db_path) as db:
            require_change(acting_user(db), action)


def print_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, empty: str | None = None
) -> None:
    """Aligned plain-text columns; cells are made printable (stored text may hold escapes)."""
    if not rows and empty:
        sys.stdout.write(f"{empty}\n")
        return
    cells = [[printable(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(columns)]
    for row in [list(columns), *cells]:
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        sys.stdout.write(line.rstrip() + "\n")
    sys.stdout.flush()
