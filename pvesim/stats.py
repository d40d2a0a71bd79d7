"""Figures that move like a real host's: a seeded random walk of CPU, memory and traffic, the
pvestatd snapshot `/cluster/resources` reads, and `rrddata` history."""

from __future__ import annotations

import math
import random
from typing import Any

from pvesim.model import Guest, MiB

#: rrd step (seconds) per timeframe; every series has 70 points, like PVE's.
TIMEFRAMES = {"hour": 60, "day": 1800, "week": 10800, "month": 43200, "year": 604800}
RRD_POINTS = 70


def _baseline(vmid: int, seed: int) -> float:
    """A guest's typical CPU load (stable per guest and seed)."""
    return 0.005 + random.Random(vmid * 7919 + seed).random() * 0.06


def walk(guests: Any, rng: random.Random, seconds: float, seed: int) -> None:
    """Move every running guest's figures by one pvestatd interval."""
    for g in guests:
        u = g.usage
        if g.status != "running":
            u.cpu = 0.0
            u.mem = 0
            continue
        inside = g.inside_if_made
        extra_cpu, extra_mem = inside.load() if inside is not None else (0.0, 0)
        base = _baseline(g.vmid, seed)
        u.cpu = min(1.0, max(0.0, u.cpu * 0.7 + base * 0.3 + rng.gauss(0, base / 3)) + extra_cpu)
        target_mem = 0.12 * g.maxmem + 24 * MiB + extra_mem
        mem = u.mem or target_mem
        u.mem = int(
            min(g.maxmem, max(8 * MiB, mem + (target_mem - mem) * 0.3 + rng.gauss(0, 2 * MiB)))
        )
        rate = 2000 + base * 200000
        u.netin += int(max(0.0, rng.gauss(rate, rate / 4)) * seconds)
        u.netout += int(max(0.0, rng.gauss(rate / 2, rate / 8)) * seconds)
        u.diskread += int(max(0.0, rng.gauss(rate, rate / 3)) * seconds)
        u.diskwrite += int(max(0.0, rng.gauss(rate / 3, rate / 9)) * seconds)


def rrddata(g: Guest, timeframe: str, now: float, seed: int, maxcpu: int) -> list[dict[str, Any]]:
    """70 points of history; before the guest existed a point holds only its time."""
    step = TIMEFRAMES[timeframe]
    end = int(now // step) * step
    base = _baseline(g.vmid, seed)
    out: list[dict[str, Any]] = []
    for i in range(RRD_POINTS):
        t = end - (RRD_POINTS - 1 - i) * step
        if t < g.created:
            out.append({"time": t})
            continue
        running = g.status == "running" and g.started is not None and t >= g.started - step
        wave = 0.5 + 0.5 * math.sin((t / step + g.vmid + seed) * 0.37)
        cpu = (base * (0.6 + 0.8 * wave)) if running else 0.0
        mem = int(0.12 * g.maxmem + 24 * MiB * wave) if running else 0
        rate = (2000 + base * 200000) * (0.5 + wave) if running else 0.0
        if i == RRD_POINTS - 1 and running:
            cpu, mem = g.usage.cpu, g.usage.mem
        out.append(
            {
                "time": t,
                "cpu": round(cpu, 6),
                "maxcpu": maxcpu,
                "mem": mem,
                "maxmem": g.maxmem,
                "disk": g.usage.disk,
                "maxdisk": g.maxdisk,
                "netin": round(rate, 3),
                "netout": round(rate / 2, 3),
                "diskread": round(rate, 3),
                "diskwrite": round(rate / 3, 3),
            }
        )
    return out


def refresh_nodes(state: Any) -> None:
    """Node CPU and memory follow their running guests."""
    per_node: dict[str, list[float]] = {name: [0.0, 0.0] for name in state.nodes}
    for g in state.guests.values():
        if g.status == "running" and g.node in per_node:
            acc = per_node[g.node]
            acc[0] += g.usage.cpu * g.cpus
            acc[1] += g.usage.mem
    for name, node in state.nodes.items():
        cpu, mem = per_node[name]
        node.cpu = min(1.0, 0.015 + cpu / node.maxcpu)
        node.mem = int(min(node.maxmem, 1.8 * 1024**3 + mem))


def tick(state: Any, seconds: float) -> None:
    """One pvestatd round: move the figures, then publish what `/cluster/resources` shows."""
    walk(state.guests.values(), state.rng, seconds, state.seed)
    refresh_nodes(state)
    refresh_statd(state)


def refresh_statd(state: Any) -> None:
    from pvesim.views import live_figures

    now = state.now()
    nodes = state.nodes
    for g in state.guests.values():
        g.statd = live_figures(g, now, nodes.get(g.node))
        g.statd_rev += 1
