"""End to end, in a real terminal (tmux): keys typed before the dashboard is up are not lost.

The keys are certain to come first: the pane's program starts only once they sit in the
terminal's input (the terminal echoes them there: the test waits for that echo), whatever the
machine's speed. `/who⏎`: the Apps list filtered to whoami, the filter left for the list; the
Enter typed before the program set the terminal's raw mode reaches it as a newline (ctrl+j).
"""

from __future__ import annotations

import pytest

from tests.terminal import demo_terminal

pytestmark = pytest.mark.e2e


@pytest.fixture
def terminal(tmp_path):
    terminal = demo_terminal(tmp_path, held=True)
    yield terminal
    terminal.kill_server()


def test_keys_typed_before_the_dashboard_is_up(terminal):
    terminal.keys("/", "w", "h", "o", "Enter")
    terminal.wait("/who")  # echoed by the terminal: in its input before the program runs
    terminal.go()
    terminal.wait("▊  who ", "⏎ Open")  # the filter holds them; Enter left it for the list
    row = terminal.wait_line(lambda line: " whoami " in line and "running" in line)
    assert "http://" in row
    screen = terminal.screen()
    assert "Uptime Kuma" not in screen  # the demo's other seed app is filtered out
    assert "no such key" not in screen
    terminal.keys("C-q")
    screen = terminal.wait("PROXIMITY-EXIT=0")
    assert "Traceback" not in screen
