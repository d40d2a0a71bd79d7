"""End to end: the installed `proximity-tui --demo` in a real terminal (tmux), keystrokes only.

Isolated data and config dirs in tmp_path; the simulator at time scale 0. Deploys an app from the
catalog, waits for it to show as running in the apps list, quits, and reads the screen each time
with `capture-pane`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

BINARY = Path(sys.executable).parent / "proximity-tui"


class Terminal:
    """One tmux server of our own (its own socket), so nothing else's options or sizes apply."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        command = ["tmux", "-L", self.socket, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "main")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "main", key)
            time.sleep(0.15)  # a person's pace: each key is handled before the next

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "main", "-l", text)
        time.sleep(0.15)

    def wait(self, *needles: str, timeout: float = 15.0) -> str:
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if all(n in screen for n in needles):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"never saw {needles!r}; the screen was:\n{screen}")

    def wait_line(self, match, timeout: float = 15.0) -> str:
        """The first screen line `match` accepts, waiting for it."""
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            for line in screen.splitlines():
                if match(line):
                    return line
            time.sleep(0.1)
        raise AssertionError(f"no matching line; the screen was:\n{screen}")


@pytest.fixture
def terminal(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    if not BINARY.exists():
        pytest.skip(f"the installed command is missing: {BINARY}")
    config = tmp_path / "config.toml"
    config.write_text("")
    env = {
        "PROXIMITY_DATA_DIR": str(tmp_path / "data"),
        "PROXIMITY_CONFIG": str(config),
        "PROXIMITY_DEMO_TIME_SCALE": "0",
        "TERM": "xterm-256color",
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    terminal = Terminal(f"proximity-e2e-{uuid.uuid4().hex[:8]}")
    # COLUMNS/LINES from the test runner would override the pane size the app sees.
    command = f"env -u COLUMNS -u LINES {exports} {BINARY} --demo; echo PROXIMITY-EXIT=$?; sleep 30"
    terminal.tmux("new-session", "-d", "-s", "main", "-x", "120", "-y", "40", command)
    terminal.tmux("set-option", "-g", "escape-time", "0")  # Escape then a key is not Alt+key
    yield terminal
    terminal.tmux("kill-server")


def test_deploy_from_the_catalog_with_keystrokes_only(terminal):
    # First start of the demo: it deploys its two seed apps and opens on the apps list.
    terminal.wait("2 Apps", "DEMO", "whoami", "running", timeout=40)
    terminal.keys("1")
    terminal.wait("All (", "Filter")
    time.sleep(0.3)
    terminal.keys("/")
    terminal.wait("search the catalog")  # the filter box is open (and focused)
    terminal.type("ntfy")
    terminal.wait("✔ ntfy  Communication")
    terminal.keys("Enter", "d")
    terminal.wait("Deploy ntfy", "✔ available", "CT ", timeout=10)
    terminal.keys("Enter")
    screen = terminal.wait("succeeded", timeout=40)
    assert "operation #" in screen
    # Escape alone lands on the app list (a deploy started from the catalog). No "2" after it:
    # under load ESC and "2" can reach the program together and read as alt+2.
    terminal.keys("Escape")
    row = terminal.wait_line(lambda line: " ntfy " in line and "running" in line, timeout=20)
    assert "http://" in row
    terminal.keys("C-q")
    screen = terminal.wait("PROXIMITY-EXIT=0", timeout=10)
    assert "Traceback" not in screen
