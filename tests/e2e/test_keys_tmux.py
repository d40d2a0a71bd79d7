"""End to end, in a real terminal (tmux): k9s's keys in one burst each (a laggy SSH link sends
them so): `:oper<Tab>⏎` completes and switches to Operations, a wrong command names the close
match, an unbound key says so, `q` quits from a list."""

from __future__ import annotations

import time

import pytest

from tests.terminal import demo_terminal

pytestmark = pytest.mark.e2e


@pytest.fixture
def terminal(tmp_path):
    terminal = demo_terminal(tmp_path)
    yield terminal
    terminal.kill_server()


def _until_gone(terminal, text: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while text in terminal.screen():
        if time.monotonic() > end:
            raise AssertionError(f"{text!r} still on screen")
        time.sleep(0.05)


def test_command_mode_q_and_unbound_keys_in_a_terminal(terminal):
    terminal.wait("2 Apps", "DEMO", "whoami", "running")
    terminal.keys(":", "o", "p", "e", "r", "Tab", "Enter")  # one write
    terminal.wait("Kind", "deploy")  # the Operations list
    terminal.keys(":", "a", "p", "s", "Enter")
    terminal.wait("unknown command :aps; did you mean :apps?")
    terminal.keys("Escape")
    # the prompt gone before the next key (ESC and a key arriving together read as alt+key)
    _until_gone(terminal, ":aps")
    terminal.keys("z")
    terminal.wait("z: no such key here · ? for help")
    terminal.keys("q")
    screen = terminal.wait_line(lambda line: "PROXIMITY-EXIT=0" in line or "Quit?" in line)
    if "Quit?" in screen:  # a seed deploy still running: q asks first, like ctrl+q
        terminal.keys("y")
    screen = terminal.wait("PROXIMITY-EXIT=0")
    assert "Traceback" not in screen
