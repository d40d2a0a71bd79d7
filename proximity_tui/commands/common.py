"""Helpers shared by the subcommands: settings from the parsed flags, the database; the output
helpers (`print_json`, `print_table`) live in `output.py` and are re-exported here."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proximity_tui.commands.output import print_json, print_json_lines, print_table
from proximity_tui.config import Settings, load_settings
from proximity_tui.text import printable

__all__ = ["print_json", "print_json_lines", "print_table", "printable"]

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
    from proximity_tui.services.users import acting_user, require_change

    settings = _settings_if_readable(args)
    read_only = bool(getattr(args, "read_only", False)) or bool(settings and settings.ui.read_only)
    require_change(None, action, read_only=read_only)
    db_path = database_path(args, settings)
    if db_path.exists():
        from proximity_tui.store.db import Database

        with Database.open(db_path) as db:
            require_change(acting_user(db), action)


def _settings_if_readable(args: argparse.Namespace) -> Settings | None:
    from proximity_tui.config import ConfigError

    try:
        return settings_from_args(args)
    except ConfigError:
        return None


def database_path(args: argparse.Namespace, settings: Settings | None = None) -> Path:
    """The database the flags point at, for a command that needs no Proxmox host (catalog
    import, the catalog's deployed counts): a config it cannot read leaves the flag and the
    database the environment points at."""
    from proximity_tui.config import default_data_dir

    settings = settings or _settings_if_readable(args)
    if settings is not None:
        return settings.db_path
    flag = getattr(args, "db", None)
    return Path(flag or os.environ.get("PROXIMITY_DB") or default_data_dir() / "proximity.db")
