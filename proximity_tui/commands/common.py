"""Helpers shared by the subcommands: settings from the parsed flags, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from proximity_tui.config import Settings, load_settings


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    """Settings for a command: the config file and environment, then the flags."""
    extra = dict(overrides)
    if getattr(args, "read_only", False):
        extra["ui.read_only"] = True
    settings = load_settings(
        getattr(args, "config", None), db_path=getattr(args, "db", None), overrides=extra
    )
    settings.demo = bool(getattr(args, "demo", False))
    return settings


def print_json(obj: Any) -> None:
    """One JSON document (or one JSON line) on stdout."""
    sys.stdout.write(json.dumps(obj, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()
