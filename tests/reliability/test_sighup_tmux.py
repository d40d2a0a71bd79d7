"""The SSH session drops mid-deploy (issue 8, point 3): the installed `proximity-tui --demo` in a
real terminal (tmux), a deploy started with keystrokes, then the whole tmux server killed (the
program gets SIGHUP, as when an SSH session drops). The program must keep its process only until
the operation ends, the journal must hold the whole operation, and the next start must show it.

The demo's simulator runs at a small time scale so that the deploy is still running when the
terminal goes away; the test watches the demo's database to know which step it is in.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

BINARY = Path(sys.executable).parent / "proximity-tui"
TIME_SCALE = "0.1"


class Terminal:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        command = ["tmux", "-L", self.socket, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout

    def start(self, env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        # `exec`: the pane's process is proximity-tui itself, so tmux hangs up on it directly.
        command = f"exec env -u COLUMNS -u LINES {exports} {BINARY} --demo"
        self.tmux("new-session", "-d", "-s", "main", "-x", "120", "-y", "40", command)
        self.tmux("set-option", "-g", "escape-time", "0")

    def pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "main", "#{pane_pid}").strip())

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "main", key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "main", "-l", text)
        time.sleep(0.15)

    def wait(self, *needles: str, timeout: float = 15.0) -> str:
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.tmux("capture-pane", "-p", "-t", "main")
            if all(n in screen for n in needles):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"never saw {needles!r}; the screen was:\n{screen}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by tmux, which is gone) is not running either.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, IndexError):
        return False


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


def start_ntfy_deploy(terminal: Terminal) -> None:
    """From the catalog, with keystrokes only: filter to ntfy, open the form, deploy."""
    terminal.wait("DEMO", timeout=20)
    terminal.keys("1")
    terminal.wait("All (", "Filter")
    time.sleep(0.3)
    terminal.keys("/")
    terminal.type("ntfy")
    terminal.wait("✔ ntfy  Communication")
    terminal.keys("Enter", "d")
    terminal.wait("Deploy ntfy", "CT ", timeout=10)
    terminal.keys("Enter")


def wait_for_step(db: Path, steps: tuple[str, ...] | None) -> tuple:
    """Until the ntfy deploy runs (in one of `steps`, when given); returns its row."""
    end = time.monotonic() + 20
    while time.monotonic() < end:
        op = operation(db, "ntfy")
        if op and op[1] == "running" and (steps is None or op[2] in steps):
            return op
        time.sleep(0.02)
    raise AssertionError(f"the deploy never reached {steps}: {operation(db, 'ntfy')}")


@pytest.fixture
def env(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    if not BINARY.exists():
        pytest.skip(f"the installed command is missing: {BINARY}")
    config = tmp_path / "config.toml"
    config.write_text("")
    return {
        "PROXIMITY_DATA_DIR": str(tmp_path / "data"),
        "PROXIMITY_CONFIG": str(config),
        "PROXIMITY_DEMO_TIME_SCALE": TIME_SCALE,
        "TERM": "xterm-256color",
    }


def test_a_dropped_session_lets_the_deploy_finish_headless(env, tmp_path):
    db = tmp_path / "data" / "demo" / "proximity.db"
    terminal = Terminal(f"proximity-hup-{uuid.uuid4().hex[:8]}")
    try:
        terminal.start(env)
        pid = terminal.pid()
        start_ntfy_deploy(terminal)
        # Wait until the deploy is well under way (it has a container), then drop the session.
        wait_for_step(db, ("docker", "compose"))
    finally:
        terminal.tmux("kill-server")  # SIGHUP to the program, as a dropped SSH session

    # The process stays while the deploy runs (headless: nobody sees it), and goes once it ended.
    time.sleep(0.3)
    assert operation(db, "ntfy")[1] == "running", "the deploy ended before the test could see"
    assert alive(pid), "the program died with the deploy still running"
    end = time.monotonic() + 60
    while alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    assert not alive(pid), "the program outlived its operations"
    gone = datetime.now(UTC)
    op_id, status, step, finished_at = operation(db, "ntfy")
    assert status == "succeeded" and step == "record", (status, step)
    finished = datetime.fromisoformat(finished_at).replace(tzinfo=UTC)
    assert (gone - finished).total_seconds() < 5, "it stayed long after its operations ended"

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
        terminal.start(env)
        terminal.wait("While you were away", "deploy of ntfy succeeded", timeout=30)
        terminal.keys("2")
        screen = terminal.wait("Hostname", " ntfy ", timeout=20)
        row = next(line for line in screen.splitlines() if " ntfy " in line)
        assert "running" in row, row
        terminal.keys("C-q")
        end = time.monotonic() + 10
        pid = terminal.pid() if terminal.tmux("list-panes") else 0
        while pid and alive(pid) and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        terminal.tmux("kill-server")


def test_quitting_during_a_deploy_waits_for_it_even_if_the_session_then_drops(env, tmp_path):
    """ctrl+q with a deploy running: the program says it waits, and it keeps waiting when the
    terminal goes away right after (SIGHUP, then the SIGCONT a dropped session sends)."""
    db = tmp_path / "data" / "demo" / "proximity.db"
    terminal = Terminal(f"proximity-quit-{uuid.uuid4().hex[:8]}")
    try:
        terminal.start(env)
        pid = terminal.pid()
        start_ntfy_deploy(terminal)
        wait_for_step(db, None)  # quit as soon as the deploy runs: it is far from done
        terminal.keys("C-q")
        terminal.wait("running. Quit?", timeout=10)  # asked first: work is in flight
        terminal.keys("Enter")  # the Quit button has the focus
        terminal.wait("waiting for ", "operation(s) to finish", timeout=10)
    finally:
        terminal.tmux("kill-server")
    assert alive(pid) and operation(db, "ntfy")[1] == "running"
    end = time.monotonic() + 60
    while alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    assert not alive(pid), "the program outlived its operations"
    assert operation(db, "ntfy")[1:3] == ("succeeded", "record")
