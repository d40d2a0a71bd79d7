"""The installed command against `proximity-tui sim` running in its own process: nothing shared
with the test but the wire and the files, as a user (or a script) would run them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commandline import CliSim


@pytest.fixture(scope="module")
def sim_process(tmp_path_factory):
    """A simulator in a subprocess at time scale 0, with the config it wrote for us."""
    with CliSim(tmp_path_factory.mktemp("cli-sim")) as proc:
        yield proc


@pytest.fixture
def cli_env(sim_process, tmp_path):
    return sim_process.env(tmp_path / "data")


def data_db(env) -> Path:
    return Path(env["PROXIMITY_DATA_DIR"]) / "proximity.db"
