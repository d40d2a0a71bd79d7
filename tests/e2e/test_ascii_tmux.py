"""End to end: the installed `proximity-tui --demo` on the Proxmox host's own console
(`TERM=linux`, `LANG=C`) in tmux. Every screen it shows on the way (apps, an app's detail, the
catalog, the deploy form, a deploy's progress) holds only ASCII and only the 16 basic colours."""

from __future__ import annotations

import re

import pytest

from tests.terminal import Terminal, demo_terminal

pytestmark = pytest.mark.e2e

#: An SGR colour that is not one of the 16: 256-colour (38;5;n) or truecolour (38;2;r;g;b).
RICH_COLOUR = re.compile(r"\x1b\[[0-9;]*[34]8;[25];")


@pytest.fixture
def terminal(tmp_path):
    # The locale as a C-only system has it: LANG=C and nothing more specific set.
    terminal = demo_terminal(tmp_path, TERM="linux", LANG="C", LC_ALL="", LC_CTYPE="")
    yield terminal
    terminal.kill_server()


def assert_ascii(terminal: Terminal, where: str) -> None:
    screen = terminal.screen()
    outside = sorted({c for c in screen if not c.isascii()})
    assert not outside, f"{where}: {outside!r} on the screen:\n{screen}"
    styled = terminal.tmux("capture-pane", "-p", "-e", "-t", "main")
    assert not RICH_COLOUR.search(styled), f"{where}: a colour outside the 16: {styled!r}"


def test_the_linux_console_with_a_c_locale_shows_only_ascii(terminal):
    terminal.wait("2 Apps", "DEMO", "whoami", "* running")
    assert_ascii(terminal, "apps")
    # Enter on an app whose seed deploy is still finishing opens that deploy's progress (seen
    # in full runs under load); back to the list and again once it has ended.
    for _ in range(20):
        terminal.keys("Enter")
        line = terminal.wait_line(lambda line: "Settings" in line or "Deploy status" in line)
        if "Settings" in line:
            break
        terminal.keys("Escape")
        terminal.wait("Hostname", "* running")
    terminal.wait("Settings", "Operations", "VMID")
    assert_ascii(terminal, "detail")
    terminal.keys("Escape")
    terminal.wait("Hostname", "* running")  # the list again (the detail has no such column)
    terminal.keys("1")
    terminal.wait("All (", "/ Filter")
    assert_ascii(terminal, "catalog")
    terminal.keys("/")
    terminal.wait("search the catalog")
    terminal.type("ntfy")
    terminal.wait("ntfy  Communication", "All (1)", "esc Clear filter")
    terminal.keys("Enter")
    terminal.wait("d Deploy")
    terminal.keys("d")
    terminal.wait("Deploy ntfy", "+ available", "CT ")
    assert_ascii(terminal, "deploy form")
    terminal.keys("Enter")
    terminal.wait("succeeded", "operation #")
    assert_ascii(terminal, "deploy progress")
    terminal.keys("C-q")
    screen = terminal.wait("PROXIMITY-EXIT=0")
    assert "Traceback" not in screen
