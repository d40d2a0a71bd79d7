"""Quitting the dashboard with a deploy in flight: the terminal is told how it ended."""

from __future__ import annotations

import signal

import pytest

from proximity_tui.commands.tui import _close_after_quit
from tests.integration.services.conftest import make_services


@pytest.fixture
def restore_signals():
    saved = {s: signal.getsignal(s) for s in (signal.SIGHUP, signal.SIGCONT, signal.SIGTSTP)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _hold_until_closing(services, gate, monkeypatch) -> None:
    """Open `gate` when quitting reaches `services.close()` (after it said what it waits for)."""
    close = services.close

    def open_then_close(*args, **kwargs):
        gate.open()
        return close(*args, **kwargs)

    monkeypatch.setattr(services, "close", open_then_close)


def test_after_quitting_each_operation_in_flight_gets_its_outcome_line(
    sim, faults, tmp_path, hostname, capsys, restore_signals, monkeypatch
):
    services = make_services(sim, tmp_path)
    gate = faults.hold(task="vzstart")  # keeps the deploy busy until quitting waits for it
    services.call(services.apps.start_deploy("whoami", hostname))
    assert gate.wait_until(lambda g: g.arrived == 1)
    _hold_until_closing(services, gate, monkeypatch)
    _close_after_quit(services)
    err = capsys.readouterr().err
    assert "waiting for 1 operation(s) to finish" in err
    assert f"proximity-tui: deploy of {hostname} succeeded" in err


def test_a_failed_deploy_is_reported_with_its_cause(
    sim, faults, tmp_path, hostname, capsys, restore_signals, monkeypatch
):
    services = make_services(sim, tmp_path)
    gate = faults.hold(task="vzstart", task_error="startup for container failed")
    services.call(services.apps.start_deploy("whoami", hostname))
    assert gate.wait_until(lambda g: g.arrived == 1)
    _hold_until_closing(services, gate, monkeypatch)
    _close_after_quit(services)
    err = capsys.readouterr().err
    assert f"proximity-tui: deploy of {hostname} failed: " in err
    assert "startup for container failed" in err


def test_the_wait_after_quitting_is_not_silent(
    sim, faults, tmp_path, hostname, capsys, restore_signals, monkeypatch
):
    """Each step the operation reaches, and its long waits' heartbeat, get a line while quitting
    waits for it (a health check used to mean 30 s without a word)."""
    from pvesim.faults import FaultRule

    services = make_services(sim, tmp_path)
    services.apps.containers.heartbeat = 0.0  # every look is a heartbeat here: no timing
    faults.add(FaultRule(command=r"wget .*/health", exit_status=4, stderr="refused", times=1))
    gate = faults.hold(task="vzstart")
    services.call(services.apps.start_deploy("whoami", hostname))
    assert gate.wait_until(lambda g: g.arrived == 1)
    _hold_until_closing(services, gate, monkeypatch)
    _close_after_quit(services)
    lines = capsys.readouterr().err.splitlines()
    name = f"proximity-tui: deploy of {hostname}"
    assert f"{name}: Check the app answers" in lines
    waiting = f"{name}: waiting for http://127.0.0.1:80/health: attempt 1, "
    assert any(line.startswith(waiting) and line.endswith("(refused)") for line in lines)
    assert lines[-1] == f"{name} succeeded"
