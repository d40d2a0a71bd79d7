"""Shared pieces of the benchmarks: result rows, timing with medians, CPU and memory readings, the
machine description, and a simulated cluster with the services connected to it.

The simulator of the service-level benches runs in a *subprocess* (`python -m pvesim`), so that
our process holds only our code: the CPU and memory it uses are ours, and the simulator's own CPU
is read separately from `/proc/<pid>/stat`. Its request counters come over the control endpoint.

`--quick` (the runner sets `PROXIMITY_BENCH_QUICK=1`) asks for fewer repetitions: a smoke run,
not figures to quote.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pvesim import testing
from pvesim.server import SimInfo

if TYPE_CHECKING:
    from proximity_tui.services.bootstrap import Services

ROOT = Path(__file__).resolve().parents[1]
QUICK_ENV = "PROXIMITY_BENCH_QUICK"


# --- rows -----------------------------------------------------------------------------------


def quick() -> bool:
    """True for a smoke run (`python -m bench --quick`)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def reps(full: int, smoke: int) -> int:
    """How many repetitions: `full` normally, `smoke` under `--quick`."""
    return smoke if quick() else full


def result(
    name: str,
    figure: float,
    unit: str,
    baseline: float | None,
    target: str | float | None,
    ok: bool,
    *,
    note: str | None = None,
    digits: int = 3,
) -> dict[str, Any]:
    """One row (the keys of `bench.KEYS`, plus `note`). `target` is the goal as people read it
    ("< 20 ms", "<= 0.1x"); `ok` says whether the figure meets it (the caller decides: not every
    target is `figure < x`)."""
    row: dict[str, Any] = {
        "name": name,
        "figure": round(figure, digits),
        "unit": unit,
        "baseline": round(baseline, digits) if baseline is not None else None,
        "ratio": _ratio(figure, baseline),
        "target": target,
        "ok": bool(ok),
    }
    if note:
        row["note"] = note
    return row


def _ratio(figure: float, baseline: float | None) -> float | None:
    if not baseline:
        return None
    ratio = figure / baseline
    return round(ratio, 4) if ratio < 0.01 else round(ratio, 2)


# --- timing ---------------------------------------------------------------------------------


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def timed(fn: Callable[[], Any], rounds: int, warmup: int = 1) -> list[float]:
    """Wall seconds of `rounds` calls of `fn`, after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


@dataclass
class Cost:
    """Wall and CPU seconds of one piece of work (CPU: every thread of this process)."""

    wall: float = 0.0
    cpu: float = 0.0


@contextlib.contextmanager
def measure() -> Iterator[Cost]:
    cost = Cost()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield cost
    finally:
        cost.wall = time.perf_counter() - wall
        cost.cpu = time.process_time() - cpu


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size now (not the peak), from /proc; falls back to the peak elsewhere."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc; 10 ms granularity)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the machine ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU model, cores, memory, Python, OS, commit."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{_os_name()} (kernel {platform.release()}, {platform.machine()})",
    }
    with contextlib.suppress(AttributeError, OSError):
        info["usable_cores"] = len(os.sched_getaffinity(0))
    quota = _cgroup_cpus()
    if quota is not None:
        info["cpu_quota"] = quota
    mem = _meminfo_total()
    if mem:
        info["memory"] = f"{mem / 2**30:.1f} GiB"
    commit = _git_commit()
    if commit:
        info["commit"] = commit
    return info


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").split("\n"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _os_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return platform.system()


def _cgroup_cpus() -> float | None:
    """CPUs allowed by a cgroup v2 quota (`cpu.max`), when one is set."""
    with contextlib.suppress(OSError, ValueError):
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="ascii").split()
        if quota != "max":
            return round(int(quota) / int(period), 2)
    return None


def _meminfo_total() -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return None


def _git_commit() -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        head = subprocess.run(
            [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no", "--", "proximity_tui"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + (" (+ uncommitted changes)" if dirty.stdout.strip() else "")


# --- the simulator in a subprocess ----------------------------------------------------------


class SimProcess(testing.SimProcess):
    """`python -m pvesim` in a subprocess (`pvesim.testing`): a Proxmox cluster that is not in our
    process, with a Proximity config.toml (`config`) that connects to it."""

    def __init__(
        self, nodes: int = 3, containers: int = 0, time_scale: float = 0.0, seed: int = 1
    ) -> None:
        super().__init__(nodes=nodes, containers=containers, time_scale=time_scale, seed=seed)

    @property
    def config(self) -> Path:
        return self.workdir / "config.toml"

    def start(self, timeout: float = 60.0) -> SimInfo:
        from proximity_tui.config import write_config

        info = super().start(timeout)
        write_config(self.config, self.client_settings())
        return info

    def api_calls(self) -> int:
        return int(self.stats()["total"])

    def cpu_seconds(self) -> float:
        return cpu_seconds_of(self.pid)

    def rss(self) -> int:
        return rss_bytes(self.pid)


def _pinned_session(fingerprint: str) -> Any:
    """A requests session that trusts exactly the simulator's certificate (by fingerprint)."""
    import requests
    from requests.adapters import HTTPAdapter

    class Pinned(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["assert_fingerprint"] = fingerprint.replace(":", "").lower()
            kwargs["cert_reqs"] = "CERT_NONE"
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.trust_env = False
    session.verify = False
    session.mount("https://", Pinned())
    return session


def raw_proxmoxer(info: SimInfo) -> Any:
    """Plain proxmoxer with the simulator's API token: what a baseline talks through.
    Its TLS session pins the simulator's certificate, like our client does."""
    from proxmoxer import ProxmoxAPI

    api = ProxmoxAPI(
        info.host,
        port=info.api_port,
        user=info.user,
        token_name=info.token_name,
        token_value=info.token_secret,
        verify_ssl=False,
        timeout=60,
    )
    pinned = _pinned_session(info.fingerprint)
    session = api._store["session"]  # proxmoxer's own session: mount the pinning adapter on it
    session.mount("https://", pinned.get_adapter("https://"))
    # Our client ignores proxy variables (proxmox/session.py); a baseline that read them on every
    # request would be slower than the floor it stands for.
    session.trust_env = False
    return api


# --- services connected to a simulator ------------------------------------------------------


def open_services(config: Path, db_path: Path, **overrides: Any) -> Services:
    """Services built from a config file, connected (monitor not started: benches tick it)."""
    from proximity_tui.config import load_settings
    from proximity_tui.services.bootstrap import build_services

    settings = load_settings(
        config,
        db_path=db_path,
        env={},
        overrides={"deploy.health_timeout": 30.0, "deploy.task_timeout": 60.0, **overrides},
    )
    services = build_services(settings)
    try:
        services.call(services.connect(monitor=False), timeout=120)
    except BaseException:
        services.close(wait=5)
        raise
    return services


def register_apps(services: Services, limit: int | None = None) -> int:
    """Record the simulator's scale containers (`ct-NNNN`) as apps, as if deployed earlier: one
    bulk insert. Returns how many apps were written."""
    from sqlalchemy import insert

    from proximity_tui.store.models import App

    guests = services.call(services.client.cluster_resources("vm"))
    cts = sorted(
        (g for g in guests if g.type == "lxc" and g.name.startswith("ct-")), key=lambda g: g.vmid
    )[:limit]
    rows = [
        {
            "id": f"whoami-{g.name}",
            "catalog_id": "whoami",
            "name": "whoami",
            "hostname": g.name,
            "status": "running" if g.status == "running" else "stopped",
            "url": f"http://10.0.{g.vmid // 250 % 250}.{g.vmid % 250}:80",
            "lxc_id": g.vmid,
            "node": g.node,
            "owner_id": services.user.id,
            "config": {"cores": 1, "memory": 256, "disk": 2, "web_port": 80},
            "ports": {"80": 80},
            "volumes": [],
            "environment": {},
        }
        for g in cts
    ]
    with services.db.session() as s:
        s.execute(insert(App), rows)
    return len(rows)


@contextlib.contextmanager
def cluster(
    containers: int = 0,
    *,
    nodes: int = 3,
    time_scale: float = 0.0,
    apps: int | None = 0,
    **overrides: Any,
) -> Iterator[tuple[SimProcess, Services]]:
    """A simulator subprocess with `containers` extra CTs and services connected to it, with
    `apps` of those CTs recorded as apps (`None`: all of them)."""
    with SimProcess(nodes=nodes, containers=containers, time_scale=time_scale) as sim:
        services = open_services(sim.config, sim.workdir / "proximity.db", **overrides)
        try:
            if apps is None or apps > 0:
                register_apps(services, apps)
            yield sim, services
        finally:
            services.close(wait=30)


def print_rows(rows: list[dict[str, Any]]) -> None:
    """Standalone output of one bench (`python -m bench.bench_NAME`): the runner's table."""
    from bench import format_table

    print(format_table(rows))
