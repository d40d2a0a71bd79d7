"""Start-up: from launch to the Apps screen painted with 1,000 apps read from the database.

Figure: wall time from spawning a fresh Python process to the moment the dashboard (`make_app`,
headless, 120x40) has painted the Apps screen with all 1,000 rows: the process imports what it
needs, builds the services from a config file, connects to a simulator (another process, 1,000
containers), reads the 1,000 apps from SQLite and fills the table. Baseline, in the same run: an
empty Textual app's start to first paint, measured the same way (a fresh process, headless,
120x40). Median of 5 each, alternated. Measured twice in the same run: on a quiet machine, then
with one core kept busy by another process (`while True: pass`, started before and ended after
the busy runs). Target (issue 19): at most 1.6x, quiet and busy.

Each child reports the time from its spawn to its first paint and leaves at once (teardown is not
counted in either). The dashboard's first paint is the frame in which the Apps table first drew
its 1,000 rows (`ProximityApp.table_painted`); the services finish starting after it. Both read
compiled bytecode, as installed packages do: the project's `.pyc` files are written first
(`compile_bytecode`); with PYTHONDONTWRITEBYTECODE set the dashboard would otherwise compile its
own sources on every start while Textual's come from its installed `.pyc` files.

Run: `python -m bench.bench_tui_start` (`--quick` in the runner: 3 runs each).
"""

from __future__ import annotations

import compileall
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import ROOT, cluster, print_rows, reps, result

APPS = 1000
TARGET = 1.6
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


def compile_bytecode() -> None:
    """Write the project's bytecode, as installing a package does. Textual, the baseline's only
    code, is read from its installed `.pyc` files; with PYTHONDONTWRITEBYTECODE set (as on the
    shared machine) the dashboard would otherwise compile its own sources on every start."""
    for package in ("proximity_tui", "pvesim"):
        compileall.compile_dir(ROOT / package, quiet=1)


def measure(config: Path, db: Path, runs: int) -> tuple[list[float], list[float]]:
    empty: list[float] = []
    dash: list[float] = []
    compile_bytecode()
    _spawn(EMPTY_APP)  # warm the file cache for both
    _spawn(DASHBOARD, str(config), str(db))
    for _ in range(runs):
        empty.append(_spawn(EMPTY_APP))
        dash.append(_spawn(DASHBOARD, str(config), str(db)))
    return empty, dash


@contextlib.contextmanager
def busy_core() -> Iterator[None]:
    """Another process keeping one core busy (pure Python spin) for as long as the block runs."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let it get going: the first busy run is as busy as the last
        yield
    finally:
        spinner.kill()
        spinner.wait()


def run() -> list[dict[str, Any]]:
    runs = reps(5, 3)
    load = os.getloadavg()[0]
    rows = []
    with cluster(APPS, apps=APPS) as (sim, services):
        db = Path(services.settings.db_path)
        config = sim.config
        quiet = measure(config, db, runs)
        with busy_core():
            busy = measure(config, db, runs)
    for label, (empty, dash) in (("quiet", quiet), ("one core busy", busy)):
        base = statistics.median(empty) * 1000
        figure = statistics.median(dash) * 1000
        ratio = figure / base
        rows.append(
            result(
                f"start to Apps painted, {APPS} apps from the DB, {label}",
                figure,
                "ms",
                base,
                f"<= {TARGET}x",
                ratio <= TARGET,
                note=f"median of {runs}; empty Textual app to first paint = baseline; "
                f"load average {load:.2f} at the start",
                digits=0,
            )
        )
    return rows


if __name__ == "__main__":
    print_rows(run())
