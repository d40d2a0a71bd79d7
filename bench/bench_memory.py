"""Memory over a soak of status refreshes with 1,000 apps: does the process stay flat?

Thirty minutes of refreshes at the default 3 s interval are 600 ticks; the soak runs those 600
ticks back to back (equal work, shortened) and compares the resident set size after them with
the size after the first minute's worth (20 ticks). Target: growth under 5%.

Two soaks, each in a fresh process of its own (so nothing else this runner loaded is counted):
- services: `StatusMonitor.tick()` with 1,000 apps, snapshots published to no one;
- dashboard: the same ticks while the real dashboard (`make_app`, headless, 120x40, on the Apps
  screen) applies every snapshot to its table.

The simulator runs in a further subprocess at time scale 0.01: no task runs here, and that scale
makes its pvestatd round every 0.1 s, so each tick sees moved figures as a tick every 3 s does.
RSS is read from /proc after a `gc.collect()` (what is retained, not garbage awaiting the
collector). The note gives the live Python objects (`gc.get_objects()`) at both points and the
types that grew most, and the RSS at tick 100 (five minutes) with the growth from there: bounded
structures that fill in the first minutes (the monitor's 60-point history, the table's render
caches) count in the figure, a leak keeps growing after tick 100.

Run: `python -m bench.bench_memory` (`--quick` in the runner: 120 ticks).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from bench.common import ROOT, cluster, print_rows, reps, result, rss_bytes

APPS = 1000
BASE_TICKS = 20  # one minute at 3 s
#: Also read at five minutes: bounded caches (history, render caches) have filled by then.
STEADY_TICKS = 100
TARGET = 1.05
#: Seconds between ticks at least: the simulator's pvestatd period at time scale 0.01.
MIN_GAP_S = 0.1


def _census() -> tuple[int, Counter[str]]:
    gc.collect()
    objects = gc.get_objects()
    return len(objects), Counter(type(o).__name__ for o in objects)


def _reading() -> dict[str, Any]:
    count, types = _census()
    return {"rss": rss_bytes(), "objects": count, "types": types}


def _pace(last: float) -> float:
    wait = MIN_GAP_S - (time.perf_counter() - last)
    if wait > 0:
        time.sleep(wait)
    return time.perf_counter()


def soak_services(ticks: int) -> dict[str, Any]:
    with cluster(APPS, time_scale=0.01, apps=APPS) as (_, services):
        readings: dict[int, dict[str, Any]] = {}
        last = 0.0
        for i in range(1, ticks + 1):
            last = _pace(last)
            snapshot = services.call(services.monitor.tick())
            if not snapshot.ok or len(snapshot.apps) != APPS:
                raise RuntimeError(f"tick {i}: ok={snapshot.ok}, {len(snapshot.apps)} apps")
            if i in (BASE_TICKS, STEADY_TICKS, ticks):
                readings[i] = _reading()
    return _summary(readings, ticks)


def soak_dashboard(ticks: int) -> dict[str, Any]:
    from proximity_tui.app import make_app

    with cluster(APPS, time_scale=0.01, apps=APPS) as (_, services):
        app = make_app(services, services.settings)
        readings: dict[int, dict[str, Any]] = {}

        async def drive() -> None:
            async with app.run_test(size=(120, 40)) as pilot:
                await _until(pilot, lambda: app.current_mode == "apps" and len(app.apps) == APPS)
                last = 0.0
                for i in range(1, ticks + 1):
                    wait = MIN_GAP_S - (time.perf_counter() - last)
                    if wait > 0:
                        await asyncio.sleep(wait)
                    last = time.perf_counter()
                    snapshot = await services.run(services.monitor.tick())
                    await _until(pilot, lambda s=snapshot: app.snapshot is s)
                    await pilot.pause()  # let the table take the changes and repaint
                    if i in (BASE_TICKS, STEADY_TICKS, ticks):
                        readings[i] = _reading()

        asyncio.run(drive())
    return _summary(readings, ticks)


async def _until(pilot: Any, done: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the dashboard did not catch up within 60 s")
        await pilot.pause(0.01)


def _summary(readings: dict[int, dict[str, Any]], ticks: int) -> dict[str, Any]:
    first, last = readings[BASE_TICKS], readings[ticks]
    grown = (last["types"] - first["types"]).most_common(4)
    return {
        "ticks": ticks,
        "rss_base": first["rss"],
        "rss_end": last["rss"],
        "objects_base": first["objects"],
        "objects_end": last["objects"],
        "grown": grown,
        "rss_steady": readings[STEADY_TICKS]["rss"] if STEADY_TICKS in readings else None,
    }


def _in_subprocess(kind: str, ticks: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_memory", "--soak", kind, "--ticks", str(ticks)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} soak exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return json.loads(lines[-1])


def _row(label: str, s: dict[str, Any]) -> dict[str, Any]:
    mib = 1024 * 1024
    growth = s["rss_end"] / s["rss_base"]
    grown = ", ".join(f"{name} +{n}" for name, n in s["grown"]) or "none"
    steady = ""
    if s.get("rss_steady") and s["ticks"] > STEADY_TICKS:
        later = (s["rss_end"] / s["rss_steady"] - 1) * 100
        steady = (
            f"; RSS after tick {STEADY_TICKS} (5 min) {s['rss_steady'] / mib:.1f} MiB, "
            f"{later:+.1f}% from there to tick {s['ticks']}"
        )
    return result(
        f"memory, {label}: RSS after {s['ticks']} ticks, {APPS:,} apps (vs after {BASE_TICKS})",
        s["rss_end"] / mib,
        "MiB",
        s["rss_base"] / mib,
        f"< {TARGET:g}x",
        growth < TARGET,
        digits=1,
        note=f"live objects {s['objects_base']:,} -> {s['objects_end']:,}; most grown: {grown}"
        + steady,
    )


def run() -> list[dict[str, Any]]:
    ticks = reps(600, 120)
    return [
        _row("services", _in_subprocess("services", ticks)),
        _row("dashboard + services", _in_subprocess("dashboard", ticks)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_memory")
    parser.add_argument("--soak", choices=("services", "dashboard"))
    parser.add_argument("--ticks", type=int, default=600)
    args = parser.parse_args()
    if args.soak is None:
        print_rows(run())
        return
    if args.ticks <= BASE_TICKS:
        parser.error(f"--ticks must be more than {BASE_TICKS}")
    soak = soak_services if args.soak == "services" else soak_dashboard
    print(json.dumps(soak(args.ticks)))


if __name__ == "__main__":
    main()
