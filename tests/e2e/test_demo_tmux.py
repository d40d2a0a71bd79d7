"""End to end: the installed `proximity-tui --demo` in a real terminal (tmux), keystrokes only.

Isolated data and config dirs in tmp_path; the simulator at time scale 0. Deploys an app from the
catalog, waits for it to show as running in the apps list, quits, and reads the screen each time
with `capture-pane`: each key is sent once the screen shows the previous one was handled
(`tests/terminal.py`), never after a pause.
"""

from __future__ import annotations

import pytest

from tests.terminal import demo_terminal, open_ntfy_form

pytestmark = pytest.mark.e2e


@pytest.fixture
def terminal(tmp_path):
    terminal = demo_terminal(tmp_path)
    yield terminal
    terminal.kill_server()


def test_deploy_from_the_catalog_with_keystrokes_only(terminal):
    # First start of the demo: it deploys its two seed apps and opens on the apps list.
    terminal.wait("2 Apps", "DEMO", "whoami", "running")
    open_ntfy_form(terminal)
    terminal.keys("Enter")
    screen = terminal.wait("succeeded")
    assert "operation #" in screen
    # Escape alone lands on the app list (a deploy started from the catalog). No "2" after it:
    # ESC and "2" reaching the program together read as alt+2.
    terminal.keys("Escape")
    row = terminal.wait_line(lambda line: " ntfy " in line and "running" in line)
    assert "http://" in row
    terminal.keys("C-q")
    screen = terminal.wait("PROXIMITY-EXIT=0")
    assert "Traceback" not in screen
