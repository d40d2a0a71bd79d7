"""The service layer against the simulator over real HTTPS and SSH, with real SQLite files.

One simulator per test module (time scale 0); every test gets its own database and services, and
uses hostnames of its own, so tests never see each other's apps.
"""

from __future__ import annotations

import itertools

import pytest

from proximity_tui.config import load_settings, write_config
from proximity_tui.services.bootstrap import Services, build_services
from pvesim.testing import simulator_fixture

_names = itertools.count(1)


sim = simulator_fixture(nodes=3, time_scale=0.0, seed=3)


@pytest.fixture
def faults(sim):
    sim.faults.clear()
    yield sim.faults
    sim.faults.clear()


def make_services(sim, tmp_path, *, auth: str = "token", name: str = "db.sqlite") -> Services:
    config = tmp_path / f"config-{auth}.toml"
    if not config.exists():
        write_config(config, sim.client_settings(auth=auth))
    settings = load_settings(
        config,
        db_path=tmp_path / name,
        env={},
        overrides={"deploy.health_timeout": 2.0, "deploy.task_timeout": 30.0},
    )
    services = build_services(settings)
    services.call(services.connect(monitor=False))
    return services


@pytest.fixture
def services(sim, faults, tmp_path):
    svc = make_services(sim, tmp_path)
    yield svc
    svc.close(wait=30)


@pytest.fixture
def hostname():
    """A hostname no other test uses."""
    return f"app{next(_names):03d}-{id(object()) % 997}"


def guests_named(sim, hostname: str) -> list:
    """Containers in the simulator with this hostname (what a failed deploy must not leave)."""

    def find(state=None):
        state = sim.state
        return [g for g in state.guests.values() if g.name == hostname]

    return sim.call(find)


def inside(sim, vmid: int):
    """The simulated container's inside (its file system, Docker), read on the sim loop."""
    return sim.call(lambda: sim.state.find_ct(vmid).inside)


def bases_on(sim, node: str) -> list[tuple[int, dict]]:
    """The Docker-ready bases on `node`: (vmid, a copy of its config), read on the sim loop."""
    from proximity_tui.services.docker_base import BASE_TAG

    def find():
        return [
            (g.vmid, dict(g.config))
            for g in sim.state.guests.values()
            if g.node == node and BASE_TAG in str(g.config.get("tags", "")).split(";")
        ]

    return sim.call(find)
