"""`pvesim.testing` and `python -m pvesim`: the simulator on its own, in a thread and in a
subprocess, started, reached, given faults over its control endpoint, and stopped cleanly."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from sim_helpers import px_token

from pvesim.testing import SimProcess, reset, running


def _refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_python_m_pvesim_serves_takes_faults_and_stops_with_0(tmp_path):
    state = tmp_path / "state.json"
    with SimProcess("--state", str(state), nodes=2, seed=3) as proc:
        info = proc.info
        assert info is not None and info.nodes == ["pve1", "pve2"]
        px = px_token(info)
        assert sorted(n["node"] for n in px.nodes.get()) == ["pve1", "pve2"]
        proc.reset_stats()
        (rule,) = proc.add_faults({"path": "/nodes", "http_status": 500, "message": "boom"})
        assert rule > 0
        with pytest.raises(Exception, match="boom"):
            px.nodes.get()
        proc.clear_faults()
        assert len(px.nodes.get()) == 2
        assert proc.stats()["total"] == 2  # the refused call counts too
        assert proc.client_settings()["proxmox"]["port"] == info.api_port
        assert proc.stop() == 0  # SIGTERM: a clean exit...
    assert state.exists()  # ...that saved the cluster
    assert _refused(info.api_port)


def test_python_m_pvesim_bad_option_is_one_line_and_exit_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pvesim", "--nodes", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "python -m pvesim: error: --nodes must be between 1 and 64"


def test_a_simulator_that_cannot_start_says_why(sim):
    proc = SimProcess("--api-port", str(sim.info.api_port))
    with pytest.raises(RuntimeError, match="did not start.*cannot start the simulator"):
        proc.start()
    assert proc.proc is not None and proc.proc.returncode == 1
    assert not proc.workdir.exists()  # its own directory is cleaned up


def test_running_stops_the_servers_and_reset_clears_faults():
    from pvesim.faults import FaultRule

    with running(nodes=1, time_scale=0) as sim:
        port = sim.info.api_port
        assert not _refused(port)
        sim.faults.add(FaultRule(path="/nodes", http_status=500))
        sim.set_offline(True, mode="drop")
        reset(sim)
        assert sim.faults.rules() == []
        assert len(px_token(sim.info).nodes.get()) == 1
    assert _refused(port)
