"""Quitting the dashboard with a deploy in flight: the terminal is told how it ended."""

from __future__ import annotations

import signal

import pytest

from proximity_tui.commands.tui import _close_after_quit
from pvesim.faults import FaultRule
from tests.integration.services.conftest import make_services


@pytest.fixture
def restore_signals():
    saved = {s: signal.getsignal(s) for s in (signal.SIGHUP, signal.SIGCONT, signal.SIGTSTP)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _wait_running(services, op_id):
    import time

    end = time.monotonic() + 10
    while op_id not in services.apps.running_operations() and time.monotonic() < end:
        time.sleep(0.01)


def test_after_quitting_each_operation_in_flight_gets_its_outcome_line(
    sim, faults, tmp_path, hostname, capsys, restore_signals
):
    services = make_services(sim, tmp_path)
    faults.add(FaultRule(task="vzstart", delay=0.5))  # keeps the deploy busy for a moment
    ok = services.call(services.apps.start_deploy("whoami", hostname))
    _wait_running(services, ok)
    _close_after_quit(services)
    err = capsys.readouterr().err
    assert "waiting for 1 operation(s) to finish" in err
    assert f"proximity-tui: deploy of {hostname} succeeded" in err


def test_a_failed_deploy_is_reported_with_its_cause(
    sim, faults, tmp_path, hostname, capsys, restore_signals
):
    services = make_services(sim, tmp_path)
    faults.add(FaultRule(task="vzstart", delay=0.5, task_error="startup for container failed"))
    op_id = services.call(services.apps.start_deploy("whoami", hostname))
    _wait_running(services, op_id)
    _close_after_quit(services)
    err = capsys.readouterr().err
    assert f"proximity-tui: deploy of {hostname} failed: " in err
    assert "startup for container failed" in err
