"""Running the dashboard (no subcommand)."""

from __future__ import annotations

import argparse
import sys


def run_tui(args: argparse.Namespace) -> int:
    print("proximity-tui: the dashboard is not built yet (see the open issues).", file=sys.stderr)
    return 1
