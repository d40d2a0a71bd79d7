"""A second deploy on a node that has its Docker-ready base, against today's path (issue 19).

One simulator per time scale, in a subprocess (3 nodes). At time scale 1 every task, boot, DHCP
lease, package install and image pull takes the simulator's modelled duration, so the wall time is
the modelled one (the figure that matters: what a user waits for on a real node); at time scale 0
they end at once and the figure is our own cost plus the calls.

For each app (`whoami`, `uptime-kuma`) on `pve1` (its OS template is cached):
- today's path: `[deploy] base = false`, create the CT from the OS template, install Docker;
- with the base: `proximity-tui prepare pve1` first (not timed: the first deploy on a node pays
  it once), then the deploy clones the base (a linked clone on lvmthin) and only waits for Docker;
- with a base that carries the apps' images: `proximity-tui prepare pve1 --with
  whoami,uptime-kuma` (not timed; it rebuilds the base), then the deploy clones it, pulls
  nothing and starts the app while the CT waits for its DHCP lease (`services/base_images.py`).
Each deploy gets a fresh hostname; the figures are medians. Target at time scale 1: at least 3x
faster (ratio <= 0.33), for both kinds of base.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

from bench.common import SimProcess, median, open_services, print_rows, reps, result

APPS = ("whoami", "uptime-kuma")
NODE = "pve1"
TARGET = 1 / 3
_names = itertools.count(1)


def _deploy(services: Any, app: str) -> float:
    hostname = f"b{os.getpid() % 1000}-{next(_names)}"
    start = time.perf_counter()
    view = services.call(services.apps.deploy_app(app, hostname, node=NODE), timeout=600)
    wall = time.perf_counter() - start
    if view.status != "running":
        raise RuntimeError(f"deploy of {hostname} ended {view.status}")
    return wall


def measure(time_scale: float, rounds: int) -> dict[str, tuple[float, float, float, float, float]]:
    """app -> (with the base, today's path, the base's own build, with a base carrying the
    images, that base's build) in wall seconds."""
    out: dict[str, tuple[float, float, float, float, float]] = {}
    with SimProcess(nodes=3, time_scale=time_scale, seed=19) as sim:
        today = open_services(sim.config, sim.workdir / "today.db", **{"deploy.base": False})
        based = open_services(sim.config, sim.workdir / "base.db", **{"deploy.base": True})
        try:
            start = time.perf_counter()
            based.call(based.apps.prepare_node(NODE), timeout=600)
            build = time.perf_counter() - start
            for app in APPS:
                if time_scale == 0:  # warm-up: imports, SSH pool, first writes
                    _deploy(today, app)
                    _deploy(based, app)
                with_base = [_deploy(based, app) for _ in range(rounds)]
                without = [_deploy(today, app) for _ in range(rounds)]
                out[app] = (median(with_base), median(without), build, 0.0, 0.0)
            start = time.perf_counter()
            based.call(based.apps.prepare_node(NODE, with_apps=APPS), timeout=600)
            carrying = time.perf_counter() - start
            for app in APPS:
                if time_scale == 0:
                    _deploy(based, app)
                carried = median([_deploy(based, app) for _ in range(rounds)])
                out[app] = (*out[app][:3], carried, carrying)
        finally:
            today.close(wait=30)
            based.close(wait=30)
    return out


def run() -> list[dict[str, Any]]:
    load = os.getloadavg()[0]
    rows = []
    for scale, rounds in ((1.0, reps(3, 1)), (0.0, reps(5, 2))):
        figures = measure(scale, rounds)
        for app, (with_base, without, build, carried, carrying) in figures.items():
            judged = scale == 1.0
            for figure, kind, built in (
                (with_base, "with its base", f"building the base once took {build:.2f} s"),
                (
                    carried,
                    "whose base carries its images",
                    f"building that base (Docker, then pulling {' and '.join(APPS)}) took "
                    f"{carrying:.2f} s; the app starts while the CT waits for its lease",
                ),
            ):
                ratio = figure / without if without else float("inf")
                rows.append(
                    result(
                        f"second deploy of {app} on a node {kind}, time scale {scale:g} "
                        "(vs today's path)",
                        figure,
                        "s",
                        without,
                        "<= 0.33x (3x faster)" if judged else "report",
                        ratio <= TARGET if judged else True,
                        digits=2,
                        note=f"median of {rounds}; today's path: create from the OS template "
                        f"and install Docker; {built}; load average {load:.2f} at the start",
                    )
                )
    return rows


if __name__ == "__main__":
    print_rows(run())
