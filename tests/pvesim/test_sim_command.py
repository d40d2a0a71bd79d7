"""`proximity-tui sim` end to end in a subprocess: JSON line, config file, SIGTERM, state."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sim_helpers import create_ct, px_token

from proximity_tui.config import load_settings
from pvesim.server import SimInfo


def _start(*args: str) -> tuple[subprocess.Popen[str], dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "proximity_tui", "sim", "--time-scale", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        pytest.fail(f"sim printed nothing; stderr: {proc.stderr.read()}")
    return proc, json.loads(line)


def _two_free_ports() -> int:
    """A port P with P + 1 free too (the second node's SSH port follows the first)."""
    for _ in range(20):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise AssertionError("no two consecutive free ports")


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(15)


def test_sim_command_runs_writes_config_and_saves_state(tmp_path: Path):
    config, state = tmp_path / "config.toml", tmp_path / "state.json"
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"path": "/nodes", "http_status": 500, "message": "boom"}]))
    ssh_port = _two_free_ports()
    proc, data = _start(
        "--ssh-port",
        str(ssh_port),
        "--write-config",
        str(config),
        "--state",
        str(state),
        "--faults",
        str(faults),
        "--nodes",
        "2",
        "--seed",
        "5",
    )
    try:
        info = SimInfo(**data)
        assert info.nodes == ["pve1", "pve2"]
        assert info.api_url == f"https://127.0.0.1:{info.api_port}"
        assert config.stat().st_mode & 0o777 == 0o600
        settings = load_settings(config, env={})
        assert settings.proxmox.port == info.api_port
        assert settings.proxmox.token_value == info.token_secret
        assert settings.proxmox.fingerprint == info.fingerprint
        assert settings.ssh.mode == "ssh" and settings.ssh.user == "root"
        assert settings.ssh.nodes == {n: f"127.0.0.1:{p}" for n, p in info.ssh_ports.items()}
        assert sorted(info.ssh_ports) == ["pve1", "pve2"]
        assert list(info.ssh_ports.values()) == [ssh_port, ssh_port + 1]
        assert settings.ssh.fingerprint == info.ssh_host_key_fingerprint
        assert settings.ssh.fingerprint.startswith("SHA256:")
        assert Path(settings.ssh.key).stat().st_mode & 0o777 == 0o600
        px = px_token(info)
        with pytest.raises(Exception, match="boom"):
            px.nodes.get()
        assert len(px.nodes.get()) == 2
        assert create_ct(px, "pve1", 800, hostname="kept")["exitstatus"] == "OK"
    finally:
        assert _stop(proc) == 0
    saved = json.loads(state.read_text())
    assert 800 in [g["vmid"] for g in saved["guests"]]

    proc, data = _start("--state", str(state))
    try:
        px = px_token(SimInfo(**data))
        assert px.nodes("pve1").lxc(800).config.get()["hostname"] == "kept"
    finally:
        assert _stop(proc) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--nodes", "0"], "--nodes must be between 1 and 64"),
        (["--faults", "/nonexistent/faults.json"], "faults file not found"),
        (["--time-scale", "-1"], "--time-scale must be 0 or more"),
    ],
)
def test_sim_command_bad_input_is_one_line(args, message, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "proximity_tui", "sim", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_sim_command_port_in_use_is_one_line(sim, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "proximity_tui", "sim", "--api-port", str(sim.info.api_port)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot start the simulator" in lines[0]
