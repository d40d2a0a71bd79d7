"""Shared fixtures of the reliability tests: simulators (in-process and as a subprocess, from
`pvesim.testing`), services with generous timeouts, and the command line run as a user would run it
(`tests/commandline.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from proximity_tui.config import load_settings, write_config
from proximity_tui.services.bootstrap import Services, build_services
from pvesim.server import Simulator
from pvesim.testing import simulator_fixture
from tests.commandline import CliSim

#: Client limits for the stuck, never reached by a working call however busy the machine: no test
#: here waits for one to fire (the fault matrix passes its own short ones, see
#: matrix_spec.limits_for, and holds its calls at gates until they have fired).
API_TIMEOUT = TASK_TIMEOUT = HEALTH_TIMEOUT = 30.0

sim = simulator_fixture(nodes=3, time_scale=0.0, seed=5)


def make_services(sim: Simulator, root: Path, *, name: str = "db.sqlite", **overrides) -> Services:
    """Services on a database file under `root`, with the limits above (`overrides` win)."""
    config = root / "config.toml"
    if not config.exists():
        write_config(config, sim.client_settings())
    settings = load_settings(
        config,
        db_path=root / name,
        env={},
        overrides={
            "proxmox.timeout": API_TIMEOUT,
            "deploy.task_timeout": TASK_TIMEOUT,
            "deploy.health_timeout": HEALTH_TIMEOUT,
            "ssh.timeout": TASK_TIMEOUT,
            **overrides,
        },
    )
    services = build_services(settings)
    services.call(services.connect(monitor=False))
    return services


# --- the command line against a simulator process ------------------------------------------------


@pytest.fixture(scope="module")
def sim_process(tmp_path_factory):
    with CliSim(tmp_path_factory.mktemp("sim-process")) as proc:
        yield proc


def guests_via_api(services: Services) -> dict[int, Any]:
    """Every guest as Proxmox reports it (for tests whose simulator is another process)."""
    return {g.vmid: g for g in services.call(services.client.cluster_resources())}


def cluster_facts(config: Path) -> dict[int, Any]:
    """Every CT of a simulator in another process, as `world.CtFacts`, read over its API."""
    import asyncio

    from proximity_tui.proxmox.client import ProxmoxClient
    from tests.reliability.world import CtFacts

    async def read() -> dict[int, CtFacts]:
        client = ProxmoxClient.from_settings(load_settings(config, env={}).proxmox)
        try:
            out = {}
            for g in await client.cluster_resources():
                if g.type != "lxc":
                    continue
                snaps: tuple[str, ...] = ()
                if "proximity" in g.tags:
                    snaps = tuple(s.name for s in await client.snapshots(g.node, g.vmid))
                out[g.vmid] = CtFacts(
                    g.vmid, g.node, g.status, g.name, tuple(g.tags), g.lock, snaps
                )
            return out
        finally:
            client.close()

    return asyncio.run(read())
