"""The SSH session drops mid-deploy (issue 8, point 3): the installed `proximity-tui --demo` in a
real terminal (tmux), a deploy started with keystrokes, then the whole tmux server killed (the
program gets SIGHUP, as when an SSH session drops). The program must keep its process only until
the operation ends, the journal must hold the whole operation, and the next start must show it.

Nothing races the clock: the demo's simulator (time scale 0) holds the deploy's first command of
its compose step at a gate (through its control endpoint), so the deploy is provably running,
well under way, when the terminal goes away; the gate opens only once the tmux server is gone
(it has sent its SIGHUP). The test reads the demo's database for the journal.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from tests.terminal import (
    PATIENCE,
    Terminal,
    alive,
    demo_command,
    demo_control,
    demo_env,
    open_ntfy_form,
    wait_gone,
)

pytestmark = pytest.mark.e2e

#: ntfy's compose step writes its files first: the first command naming its directory.
COMPOSE_STEP = {"command": r"/opt/proximity/ntfy/"}


def operation(db: Path, hostname: str) -> tuple | None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(
            "SELECT id, status, step, finished_at FROM operations WHERE kind = 'deploy' "
            "AND hostname = ? ORDER BY id DESC",
            (hostname,),
        ).fetchone()
    except sqlite3.OperationalError:  # not created yet
        return None
    finally:
        conn.close()


def start_held_deploy(terminal: Terminal, env: dict[str, str], data: Path, gate: str):
    """Start the demo, hold ntfy's compose step at `gate`, deploy ntfy with keystrokes, and
    return (the program's pid, the control endpoint) once the deploy waits at the gate."""
    terminal.start(demo_command(env, exec_=True))
    pid = terminal.pid()
    control = demo_control(data)
    control("POST", "faults", {**COMPOSE_STEP, "gate": gate})
    terminal.wait("DEMO")
    open_ntfy_form(terminal)
    terminal.keys("Enter")
    wait_until(lambda: control.gate(gate)["arrived"] == 1, "the deploy held in compose")
    return pid, control


def hang_up(terminal: Terminal) -> None:
    """Kill the tmux server (SIGHUP to the program) and wait until it is gone: by then it has
    sent its hang-up."""
    server = terminal.server_pid()
    terminal.kill_server()
    wait_gone(server, "the tmux server")


def wait_until(condition, what: str) -> None:
    end = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < end, f"never: {what}"
        time.sleep(0.05)


@pytest.fixture
def env(tmp_path):
    return demo_env(tmp_path)


def test_a_dropped_session_lets_the_deploy_finish_headless(env, tmp_path):
    db = tmp_path / "data" / "demo" / "proximity.db"
    terminal = Terminal(f"proximity-hup-{uuid.uuid4().hex[:8]}")
    try:
        pid, control = start_held_deploy(terminal, env, tmp_path / "data", "hup")
    finally:
        hang_up(terminal)

    # Hung up with the deploy held: it cannot have ended. The program must carry it on, headless,
    # to the end (a dead program leaves it running or interrupted, with steps missing), then go.
    assert operation(db, "ntfy")[1:3] == ("running", "compose")
    control.open_gate("hup")
    wait_gone(pid, "the program, its operations ended,")
    op_id, status, step, _ = operation(db, "ntfy")
    assert status == "succeeded" and step == "record", (status, step)

    # The journal holds the whole operation: every step started and finished, then the end.
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    kinds = [
        k
        for (k,) in conn.execute(
            "SELECT kind FROM operation_events WHERE operation_id = ? ORDER BY id", (op_id,)
        )
    ]
    running = conn.execute("SELECT count(*) FROM operations WHERE status = 'running'").fetchone()
    app = conn.execute("SELECT status FROM apps WHERE hostname = 'ntfy'").fetchone()
    conn.close()
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds.count("step_started") == kinds.count("step_finished") == 11
    assert running == (0,) and app == ("running",)

    # The next start shows the result: said once (issue 16), and in the list.
    terminal = Terminal(f"proximity-hup-{uuid.uuid4().hex[:8]}")
    try:
        terminal.start(demo_command(env, exec_=True))
        pid = terminal.pid()
        terminal.wait("While you were away", "deploy of ntfy succeeded")
        terminal.keys("2")
        terminal.wait("Hostname", " ntfy ")
        terminal.wait_line(lambda line: " ntfy " in line and "running" in line)
        terminal.keys("C-q")
        wait_gone(pid, "the program after ctrl+q")
    finally:
        terminal.kill_server()


def test_quitting_during_a_deploy_waits_for_it_even_if_the_session_then_drops(env, tmp_path):
    """ctrl+q with a deploy running: the program says it waits, and it keeps waiting when the
    terminal goes away right after (SIGHUP, then the SIGCONT a dropped session sends)."""
    db = tmp_path / "data" / "demo" / "proximity.db"
    terminal = Terminal(f"proximity-quit-{uuid.uuid4().hex[:8]}")
    try:
        pid, control = start_held_deploy(terminal, env, tmp_path / "data", "quit")
        terminal.keys("C-q")
        terminal.wait("running. Quit?")  # asked first: work is in flight
        terminal.keys("Enter")  # the Quit button has the focus
        terminal.wait("waiting for ", "operation(s) to finish")
    finally:
        hang_up(terminal)
    assert alive(pid) and operation(db, "ntfy")[1] == "running"  # held: it cannot have ended
    control.open_gate("quit")
    wait_gone(pid, "the program, its operations ended,")
    assert operation(db, "ntfy")[1:3] == ("succeeded", "record")
