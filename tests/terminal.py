"""The installed `proximity-tui` in a real terminal (tmux), for the end-to-end suites.

Each `Terminal` is a tmux server of our own (its own socket), so nothing else's options or sizes
apply. Keys are sent as a person types them, but never paced by the clock: after each key that
changes what the program shows, a test waits for the screen to show it (`wait`, `wait_line`:
`capture-pane` polled with a generous limit) before it sends the next one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

BINARY = Path(sys.executable).parent / "proximity-tui"
#: How long a screen may take to show what a test waits for: a limit for the stuck, never a pace.
PATIENCE = 60.0


class Terminal:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        command = ["tmux", "-L", self.socket, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout

    def start(self, command: str) -> None:
        """A 120x40 session running `command` (a shell line); Escape is never read as Alt."""
        self.tmux("new-session", "-d", "-s", "main", "-x", "120", "-y", "40", command)
        self.tmux("set-option", "-g", "escape-time", "0")

    def pid(self) -> int:
        """The pane's process (the program, when started with `exec`)."""
        return int(self.tmux("display-message", "-p", "-t", "main", "#{pane_pid}").strip())

    def server_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "#{pid}").strip())

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "main")

    def keys(self, *keys: str) -> None:
        """tmux key names (`Enter`, `C-q`, `1`), in order, in one write."""
        self.tmux("send-keys", "-t", "main", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "main", "-l", text)

    def wait(self, *needles: str, timeout: float = PATIENCE) -> str:
        """The screen once it shows every one of `needles`."""
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if all(n in screen for n in needles):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"never saw {needles!r}; the screen was:\n{screen}")

    def wait_line(self, match, timeout: float = PATIENCE) -> str:
        """The first screen line `match` accepts, waiting for it."""
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            for line in screen.splitlines():
                if match(line):
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no matching line; the screen was:\n{screen}")

    def go(self) -> None:
        """Start the program of a held `demo_terminal`."""
        self.tmux("wait-for", "-S", GO)

    def kill_server(self) -> None:
        self.tmux("kill-server")


def demo_command(env: dict[str, str], *, exec_: bool = False, tail: str = "") -> str:
    """The shell line that runs `proximity-tui --demo` with `env` (COLUMNS/LINES from the test
    runner would override the pane size the program sees). `exec_`: the pane's process is the
    program itself, so tmux hangs up on it directly."""
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    line = f"env -u COLUMNS -u LINES {exports} {BINARY} --demo"
    return ("exec " if exec_ else "") + line + tail


def demo_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An isolated demo's environment (data and config dirs in `tmp_path`, time scale 0, an
    xterm unless `extra` says otherwise); skips the test without tmux or the installed command."""
    import pytest

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    if not BINARY.exists():
        pytest.skip(f"the installed command is missing: {BINARY}")
    config = tmp_path / "config.toml"
    config.write_text("")
    return {
        "PROXIMITY_DATA_DIR": str(tmp_path / "data"),
        "PROXIMITY_CONFIG": str(config),
        "PROXIMITY_DEMO_TIME_SCALE": "0",
        "TERM": "xterm-256color",
        **extra,
    }


def demo_terminal(tmp_path: Path, *, held: bool = False, **extra: str) -> Terminal:
    """`proximity-tui --demo` started in a tmux server of its own (`demo_env`); the pane prints
    `PROXIMITY-EXIT=<code>` when the program ends. The caller kills the server. `held`: the
    program starts only at `terminal.go()` (keys sent before wait in the terminal's input)."""
    terminal = Terminal(f"proximity-e2e-{uuid.uuid4().hex[:8]}")
    command = demo_command(demo_env(tmp_path, **extra), tail=EXIT_TAIL)
    if held:
        command = f"tmux -L {terminal.socket} wait-for {GO}; {command}"
    terminal.start(command)
    return terminal


#: The tmux channel a held terminal's program waits for (`Terminal.go`).
GO = "proximity-go"


#: Shows the program's exit code and keeps the pane open to read it.
EXIT_TAIL = "; echo PROXIMITY-EXIT=$?; sleep 30"


def open_ntfy_form(terminal: Terminal) -> None:
    """From any screen of the dashboard, with keystrokes only: the catalog, filtered to ntfy,
    the deploy form once its plan is checked."""
    terminal.keys("1")
    terminal.wait("All (", "/ Filter")
    terminal.keys("/")
    terminal.wait("search the catalog")  # open and focused: typed keys land in it
    terminal.type("ntfy")
    terminal.wait("✔ ntfy  Communication", "All (1)", "esc Clear filter")
    terminal.keys("Enter")
    terminal.wait("d Deploy")  # the list has the focus again (the footer shows its keys)
    terminal.keys("d")
    terminal.wait("Deploy ntfy", "✔ available", "CT ")


def alive(pid: int) -> bool:
    """Running: not gone, and not a zombie (exited, not yet reaped by a tmux that is gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def wait_gone(pid: int, what: str, timeout: float = PATIENCE) -> None:
    end = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > end:
            raise AssertionError(f"{what} (pid {pid}) still runs after {timeout:.0f} s")
        time.sleep(0.05)


def demo_control(data_dir: Path):
    """The control endpoint of the simulator a running demo owns (`data_dir`/demo): its config
    names the API and the token secret, its work dir holds the CA."""
    from pvesim.testing import Control

    demo = data_dir / "demo"
    config = demo / "config.toml"
    end = time.monotonic() + PATIENCE
    while True:  # written once its simulator listens; read it whole
        try:
            proxmox = tomllib.loads(config.read_text())["proxmox"]
            secret = proxmox["token_value"]
            break
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            assert time.monotonic() < end, f"the demo never wrote {config}"
            time.sleep(0.05)
    url = f"https://{proxmox['host']}:{proxmox['port']}/_sim"
    return Control(url, secret, demo / "sim" / "tls" / "pve-root-ca.pem")
