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
