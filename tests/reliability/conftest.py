"""Shared fixtures of the reliability tests: simulators (in-process and as a subprocess), services
with short timeouts, and the command line run as a user would run it."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from proximity_tui.config import load_settings, write_config
from proximity_tui.services.bootstrap import Services, build_services
from pvesim.server import Simulator

REPO = Path(__file__).resolve().parents[2]
#: Short client limits, so that a test whose call never answers ends soon (the fault matrix
#: passes its own, see matrix_spec.limits_for).
API_TIMEOUT = TASK_TIMEOUT = HEALTH_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(nodes=3, time_scale=0.0, seed=5)
    simulator.start()
    yield simulator
    simulator.stop()


def make_services(sim: Simulator, root: Path, *, name: str = "db.sqlite", **overrides) -> Services:
    """Services on a database file under `root`, with short limits (`overrides` win)."""
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


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMITY_")}
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], input: str | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "proximity_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=input,
        timeout=timeout,
        cwd=REPO,
    )


class SimProcess:
    """`proximity-tui sim` in its own process, with the config it wrote."""

    def __init__(self, root: Path, *, time_scale: float = 0.0, seed: int = 0) -> None:
        self.root = root
        self.config = root / "config.toml"
        # A file, not a pipe: a chatty simulator must never block on a full pipe.
        log = (root / "sim-stderr.txt").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "proximity_tui",
                "sim",
                "--time-scale",
                str(time_scale),
                "--seed",
                str(seed),
                "--write-config",
                str(self.config),
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=clean_env(),
            cwd=REPO,
        )
        log.close()  # the child has its own copy
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            raise RuntimeError(
                f"the simulator did not start: {(root / 'sim-stderr.txt').read_text()}"
            )
        self.info: dict[str, Any] = json.loads(line)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """The simulator's control endpoint (faults), authenticated with the token secret."""
        request = urllib.request.Request(
            self.info["control_url"] + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": f"Bearer {self.info['token_secret']}",
                "Content-Type": "application/json",
            },
        )
        context = ssl.create_default_context(cafile=self.info["ca_pem_path"])
        context.check_hostname = False
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            return json.loads(answer.read() or b"null")

    def add_faults(self, *rules: dict[str, Any]) -> list[int]:
        return self.control("POST", "/faults", list(rules))["ids"]

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        return clean_env(
            PROXIMITY_CONFIG=str(self.config), PROXIMITY_DATA_DIR=str(data_dir), **extra
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def sim_process(tmp_path_factory):
    proc = SimProcess(tmp_path_factory.mktemp("sim-process"))
    yield proc
    proc.stop()


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
