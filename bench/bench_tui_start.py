"""Start-up: from launch to the Apps screen painted with 1,000 apps read from the database.

Figure: wall time from spawning a fresh Python process to the moment the dashboard (`make_app`,
headless, 120x40) has painted the Apps screen with all 1,000 rows: the process imports what it
needs, builds the services from a config file, connects to a simulator (another process, 1,000
containers), reads the 1,000 apps from SQLite and fills the table. Baseline, in the same run: an
empty Textual app's start to first paint, measured the same way (a fresh process, headless,
120x40). Median of 5 each, alternated. Target: at most 2.0x.

Each child reports the time from its spawn to its first paint and leaves at once (teardown is not
counted in either). The dashboard's first paint is the frame in which the Apps table first drew
its 1,000 rows (`ProximityApp.table_painted`); the services finish starting after it.

Run: `python -m bench.bench_tui_start` (`--quick` in the runner: 3 runs each).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, cluster, print_rows, reps, result

APPS = 1000
TARGET = 2.0
SIZE = (120, 40)

# Each child prints the seconds from its spawn (wall time taken by the parent just before it,
# passed as the last argument) to its first paint, then leaves at once: teardown is not counted.
EMPTY_APP = f"""
import os, sys, time
from textual.app import App

class Empty(App):
    def on_mount(self):
        self.call_after_refresh(self.painted)

    def painted(self):
        print(time.time() - float(sys.argv[-1]), flush=True)
        os._exit(0)

Empty().run(headless=True, size={SIZE!r})
"""

DASHBOARD = f"""
import os, sys, time
from proximity_tui.config import load_settings

settings = load_settings(sys.argv[1], db_path=sys.argv[2], env={{}})

def build():
    from proximity_tui.services.bootstrap import build_services
    services = build_services(settings)
    services.call(services.connect(monitor=False))
    return services

from proximity_tui.app import make_app

app = make_app(None, settings, services_factory=build, preload_db=settings.db_path)
first_paint = app.table_painted

def painted():
    # The frame in which the Apps table first drew its rows has been written.
    rows = app.screen.query_one("#apps-table").row_count
    assert rows == {APPS}, rows
    print(time.time() - float(sys.argv[-1]), flush=True)
    os._exit(0)

app.table_painted = painted
app.run(headless=True, size={SIZE!r})
sys.exit("the apps table was never painted")
"""


def _spawn(code: str, *args: str) -> float:
    """Seconds from spawning a child to its first paint, as the child reports it."""
    env = {**os.environ, "TEXTUAL_ANIMATIONS": "none", "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-c", code, *args, repr(time.time())]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"child failed: {proc.stderr.strip()[-500:]}")
    return float(proc.stdout.strip().splitlines()[-1])


def measure(config: Path, db: Path, runs: int) -> tuple[list[float], list[float]]:
    empty: list[float] = []
    dash: list[float] = []
    _spawn(EMPTY_APP)  # warm the file cache for both
    _spawn(DASHBOARD, str(config), str(db))
    for _ in range(runs):
        empty.append(_spawn(EMPTY_APP))
        dash.append(_spawn(DASHBOARD, str(config), str(db)))
    return empty, dash


def run() -> list[dict[str, Any]]:
    runs = reps(5, 3)
    with cluster(APPS, apps=APPS) as (sim, services):
        db = Path(services.settings.db_path)
        config = sim.config
        empty, dash = measure(config, db, runs)
    base = statistics.median(empty) * 1000
    figure = statistics.median(dash) * 1000
    ratio = figure / base
    return [
        result(
            f"start to Apps painted, {APPS} apps from the DB",
            figure,
            "ms",
            base,
            f"<= {TARGET}x",
            ratio <= TARGET,
            note=f"median of {runs}; empty Textual app to first paint = baseline",
            digits=0,
        )
    ]


if __name__ == "__main__":
    print_rows(run())
