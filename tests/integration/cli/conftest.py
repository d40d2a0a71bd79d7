"""The installed command against `proximity-tui sim` running in its own process: nothing shared
with the test but the wire and the files, as a user (or a script) would run them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, env: dict[str, str], input: str | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "proximity_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=input,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def sim_process(tmp_path_factory):
    """A simulator in a subprocess at time scale 0, with the config it wrote for us."""
    root = tmp_path_factory.mktemp("cli-sim")
    config = root / "config.toml"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "proximity_tui",
            "sim",
            "--time-scale",
            "0",
            "--write-config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        pytest.fail(f"the simulator did not start: {proc.stderr.read()}")
    info = json.loads(line)
    yield {"config": config, "info": info, "root": root}
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)


@pytest.fixture
def cli_env(sim_process, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMITY_")}
    env["PROXIMITY_CONFIG"] = str(sim_process["config"])
    env["PROXIMITY_DATA_DIR"] = str(tmp_path / "data")
    return env


def data_db(env) -> Path:
    return Path(env["PROXIMITY_DATA_DIR"]) / "proximity.db"
