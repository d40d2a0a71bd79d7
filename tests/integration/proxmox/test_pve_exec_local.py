"""The local `pct` transport, with a fake `pct` executable written by the test.

No real `pct` (nor LXC) can run here, so this is the one place where something is faked: a small
shell script named `pct`, placed first on PATH, that records its argv (NUL-separated) and runs the
command after `--` on this machine, standing in for "inside the container". Everything else is
real: asyncio subprocesses, pipes, streaming, exit statuses, timeouts and process killing.
"""

import asyncio
import os
import shlex
import stat
import time

import pytest

from proximity_tui.config import SshSettings
from proximity_tui.errors import ExecError, ExecTimeout, ValidationError
from proximity_tui.proxmox.exec import ContainerExec

FAKE_PCT = """#!/bin/sh
# Record the argv exactly (one NUL after each argument), then act like pct.
for a in "$@"; do printf '%s\\0' "$a"; done >> @LOG@
case "$1" in
  exec) shift; vmid="$1"; shift; [ "$1" = "--" ] && shift
        [ "$vmid" = "999" ] && { echo "container '999' not running!" >&2; exit 255; }
        exec "$@" ;;
  status) echo "status: running" ;;
  *) echo "unknown command '$1'" >&2; exit 255 ;;
esac
"""

NASTY = [
    "it's",
    'say "hi"',
    "$(touch /tmp/pwned-by-test)",
    "`id`",
    "a; rm -rf /",
    "two\nlines",
    "*",
]


@pytest.fixture
def pct(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "pct"
    log = tmp_path / "pct.log"
    # The log's path is written into the script: pct gets no environment of ours to read it from.
    script.write_text(FAKE_PCT.replace("@LOG@", shlex.quote(str(log))))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return log


def _calls(log):
    """The recorded argv of each call (each call ends where the next `exec`/`status` starts)."""
    return log.read_bytes().split(b"\0")[:-1]


@pytest.fixture
async def ex(pct):
    executor = ContainerExec(SshSettings(mode="local"))
    yield executor
    await executor.close()


async def test_argv_reaches_pct_intact(ex, pct):
    result = await ex.run("pve1", 101, ["printf", "%s|", *NASTY])
    assert result.exit_status == 0 and result.stdout == "|".join(NASTY) + "|"
    argv = [a.decode() for a in _calls(pct)]
    assert argv == ["exec", "101", "--", "printf", "%s|", *NASTY]
    assert not os.path.exists("/tmp/pwned-by-test")
    assert ex.counts == {"local": 1, "ssh": 0}


async def test_output_streams_line_by_line_in_order(ex):
    seen: list[tuple[str, float]] = []
    script = "echo one; sleep 0.3; echo two; echo warn >&2"
    err: list[str] = []
    result = await ex.run_script(
        "pve1",
        101,
        script,
        on_stdout=lambda line: seen.append((line, time.monotonic())),
        on_stderr=err.append,
    )
    assert [line for line, _ in seen] == ["one", "two"] and err == ["warn"]
    assert seen[1][1] - seen[0][1] > 0.2  # "one" was delivered before the sleep ended
    assert result.stdout == "one\ntwo\n" and result.stderr == "warn\n"


async def test_non_zero_exit_raises_with_stderr(ex):
    with pytest.raises(ExecError) as info:
        await ex.run_script("pve1", 101, "echo 'Error response from daemon: boom' >&2; exit 3")
    assert info.value.exit_status == 3 and info.value.vmid == 101
    assert "Error response from daemon: boom" in str(info.value)
    assert info.value.stderr == "Error response from daemon: boom\n"
    unchecked = await ex.run_script("pve1", 101, "exit 4", check=False)
    assert unchecked.exit_status == 4


async def test_stopped_container_message_passes_through(ex):
    with pytest.raises(ExecError, match="container '999' not running!"):
        await ex.run("pve1", 999, ["true"])


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (a killed child not yet reaped is a zombie: not running)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_timeout_kills_the_command(ex, tmp_path):
    pidfile = tmp_path / "pid"
    script = 'echo $$ > "$1.new"; mv "$1.new" "$1"; sleep 60; echo never'
    with pytest.raises(ExecTimeout, match="timed out after 0.3s"):
        await ex.run_script("pve1", 101, script, args=[str(pidfile)], timeout=0.3)
    if not pidfile.exists():  # killed before its first line: nothing of it can run later
        return
    pid = int(pidfile.read_text())
    end = time.monotonic() + 30
    while _alive(pid):  # killed, not left sleeping for its minute
        assert time.monotonic() < end, f"the timed-out command ({pid}) still runs"
        await asyncio.sleep(0.02)


async def test_push_file_writes_and_verifies(ex, tmp_path):
    target = tmp_path / "deep" / "dir" / "compose.yaml"
    data = b"services:\n  web:\n    image: nginx:1.27\n" + bytes(range(256)) * 300
    await ex.push_file("pve1", 101, str(target), data, mode=0o600)
    assert target.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_push_refuses_relative_path_and_changes_nothing(ex, pct):
    with pytest.raises(ValidationError):
        await ex.push_file("pve1", 101, "relative/path", b"x")
    assert not pct.exists()


async def test_host_pct_command(ex, pct):
    result = await ex.pct("pve1", "status", "101")
    assert result.stdout.strip() == "status: running"
    with pytest.raises(ExecError, match="`pct frobnicate` on pve1 exited with status 255"):
        await ex.pct("pve1", "frobnicate")


async def test_pct_gets_a_clean_environment(ex, monkeypatch):
    """`pct exec` hands its environment on to the container (lxc-attach --keep-env): nothing of
    our process may reach it. The fake pct runs `env` as the container would."""
    monkeypatch.setenv("PROXIMITY_PROXMOX_TOKEN_VALUE", "tok-secret-123")
    monkeypatch.setenv("PROXIMITY_PROXMOX_PASSWORD", "pw-secret-456")
    result = await ex.run("pve1", 101, ["env"])
    seen = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert "tok-secret-123" not in result.stdout and "pw-secret-456" not in result.stdout
    # PWD and SHLVL are what the fake pct's own sh sets (pct runs from /).
    ours = {k for k, v in os.environ.items() if seen.get(k) == v} - {"PATH", "PWD", "SHLVL"}
    assert set(seen) - {"PATH", "PWD", "SHLVL", "_"} == set(), sorted(seen)
    assert ours == set(), f"variables of ours inside the container: {sorted(ours)}"
    assert seen["PATH"].startswith("/usr/local/sbin:")
