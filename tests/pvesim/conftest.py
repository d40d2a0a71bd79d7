"""A simulator per test module (time scale 0) and clients that reach it over real HTTPS."""

from __future__ import annotations

import pytest
import requests
from proxmoxer import ProxmoxAPI
from sim_helpers import pinned_session, px_token

from pvesim.server import SimInfo, Simulator
from pvesim.testing import simulator_fixture

sim = simulator_fixture(time_scale=0, seed=7)


@pytest.fixture(scope="module")
def info(sim: Simulator) -> SimInfo:
    assert sim.info is not None
    return sim.info


@pytest.fixture(scope="module")
def px(info: SimInfo) -> ProxmoxAPI:
    return px_token(info)


@pytest.fixture(scope="module")
def http(info: SimInfo) -> requests.Session:
    return pinned_session(info)
