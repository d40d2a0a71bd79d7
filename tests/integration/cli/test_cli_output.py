"""Issue 16, awkward (CLI output) and missing (the catalog marks deployed entries), against
`proximity-tui sim` in its own process: piped output is plain and whole, a terminal's is coloured
(unless NO_COLOR) and fitted to its width, every `--json` is JSON lines, the headers are the JSON
keys (`vmid` everywhere), sizes are human in text and exact bytes in JSON."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

import pytest

from tests.commandline import REPO, json_lines, run_cli

HOST = "cli-out-with-a-rather-long-hostname"
#: A pull that fails with a long error: the journal's error column must keep all of it.
LONG_ERROR = (
    "pull access denied for registry.example.org/acme/whoami, repository does not exist "
    "or may require docker login: denied: requested access to the resource is denied"
)
ESC = re.compile(r"\x1b\[[0-9;]*m")
HUMAN = re.compile(r"^\d+(\.\d)?[BKMGTP]$")


@pytest.fixture(scope="module")
def world(sim_process, tmp_path_factory):
    """One deployed app, one backup of it and one failed deploy (with LONG_ERROR)."""
    env = sim_process.env(tmp_path_factory.mktemp("cli-out") / "data")
    done = run_cli("deploy", "whoami", "--hostname", HOST, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    assert run_cli("backup", HOST, env=env, timeout=180).returncode == 0
    sim_process.add_faults({"command": "compose -f .*pull", "exit_status": 1, "stderr": LONG_ERROR})
    try:
        failed = run_cli("deploy", "whoami", "--hostname", "cli-out-fails", env=env, timeout=180)
    finally:
        sim_process.clear_faults()
    assert failed.returncode == 1, failed.stderr
    return env


def on_terminal(*args: str, env: dict[str, str], columns: int = 70) -> str:
    """stdout of the command when it is a terminal (a pty), COLUMNS wide."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "proximity_tui", *args],
        stdout=follower,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**env, "COLUMNS": str(columns), "TERM": "xterm-256color"},
        cwd=REPO,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the command closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    return b"".join(chunks).decode().replace("\r\n", "\n")


PIPED = [
    ("apps",),
    ("status",),
    ("history",),
    ("users",),
    ("catalog",),
    ("catalog", "show", "whoami"),
    ("catalog", "source", "list"),
    ("catalog", "lint"),
    ("backups", HOST),
    ("adopt", "--dry-run"),
]


def test_piped_output_is_plain_and_whole(world):
    seen = {}
    for args in PIPED:
        result = run_cli(*args, env=world)
        assert result.returncode == 0, (args, result.stderr)
        assert "\x1b" not in result.stdout, args
        seen[args[0] if len(args) == 1 else " ".join(args[:2])] = result.stdout
    # Whole values when piped: the journal's long error, a catalog entry's long description.
    error = journal_error(world)
    assert LONG_ERROR in error and " ".join(error.split()) in seen["history"]
    [entry] = json_lines(run_cli("catalog", "show", "it-tools", "--json", env=world).stdout)
    description = entry["description"].split("\n", 1)[0]
    assert len(description) > 60 and description in seen["catalog"]
    assert "…" not in seen["catalog"] and "..." not in seen["history"]


def journal_error(env: dict[str, str]) -> str:
    [failed] = [op for op in json_lines(run_cli("history", "--json", env=env).stdout)
                if op["status"] == "failed"]  # fmt: skip
    return failed["error"]


def test_a_terminal_gets_colour_unless_no_color_and_lines_that_fit(world):
    coloured = on_terminal("apps", env=world)
    assert "\x1b[" in coloured and "running" in coloured
    plain = on_terminal("apps", env={**world, "NO_COLOR": "1"})
    assert "\x1b" not in plain and "running" in plain
    history = on_terminal("history", env=world, columns=90)
    for text in (coloured, plain, history):
        lines = ESC.sub("", text).splitlines()
        assert lines and all(len(line) <= (90 if text is history else 70) for line in lines), text
    # A cut error keeps whole words and says it was cut; never a token cut in the middle.
    [row] = [line for line in ESC.sub("", history).splitlines() if " failed " in line]
    cut, whole = row.split("  ")[-1].strip(), " ".join(journal_error(world).split())
    assert cut.endswith("…") and whole.startswith(cut[:-1]) and whole[len(cut) - 1] == " "


def test_the_ascii_mode_on_a_terminal_is_ascii_in_16_colours_and_fits(world):
    ascii_env = {**world, "LC_ALL": "C", "LANG": "C"}
    text = on_terminal("catalog", env=ascii_env, columns=80)
    assert text.isascii() and "\x1b[1mid" in text
    assert set(re.findall(r"\x1b\[([0-9;]*)m", text)) <= {"0", "1", "2", "31", "32", "33", "36"}
    assert all(len(line) <= 80 for line in ESC.sub("", text).splitlines())


def test_every_json_output_is_json_lines(world):
    commands = [
        ("apps",), ("history",), ("users",), ("status",), ("catalog",),
        ("catalog", "show", "whoami"), ("catalog", "lint"), ("backups", HOST),
        ("update", HOST, "--dry-run"), ("adopt", "--dry-run"), ("stop", HOST), ("start", HOST),
    ]  # fmt: skip
    for args in commands:
        result = run_cli(*args, "--json", env=world, timeout=180)
        assert result.returncode == 0, (args, result.stderr)
        objects = json_lines(result.stdout)  # every line one object
        assert objects, args
    assert {a["hostname"] for a in json_lines(run_cli("apps", "--json", env=world).stdout)} == {
        HOST
    }
    assert len(json_lines(run_cli("history", "--json", env=world).stdout)) >= 3


def test_headers_are_the_json_keys_with_vmid_everywhere(world):
    for args in (("apps",), ("backups", HOST), ("history",)):
        header = run_cli(*args, env=world).stdout.splitlines()[0].split()
        keys = json_lines(run_cli(*args, "--json", env=world).stdout)[0].keys()
        assert set(header) <= set(keys), (args, header, list(keys))
    status = run_cli("status", env=world).stdout.splitlines()[0].split()
    assert status[:4] == ["hostname", "status", "node", "vmid"]
    assert run_cli("apps", env=world).stdout.splitlines()[0].split()[5] == "vmid"
    everything = "".join(
        run_cli(*args, *extra, env=world).stdout for args in PIPED for extra in ((), ("--json",))
    )
    assert "lxc_id" not in everything


def test_sizes_are_human_in_text_and_exact_in_json(world):
    [backup] = json_lines(run_cli("backups", HOST, "--json", env=world).stdout)
    assert isinstance(backup["size"], int) and backup["size"] > 2**20
    lines = run_cli("backups", HOST, env=world).stdout.splitlines()
    size = lines[1].split()[lines[0].split().index("size")]
    assert HUMAN.match(size) and size.endswith("M"), size
    assert abs(float(size[:-1]) * 2**20 - backup["size"]) < 0.1 * 2**20
    status = run_cli("status", env=world).stdout.splitlines()
    memory = status[1].split()[status[0].split().index("memory")]
    used, total = memory.split("/")
    assert HUMAN.match(used) and HUMAN.match(total), memory


def test_the_catalog_marks_deployed_entries_with_their_count(world):
    listed = run_cli("catalog", "--search", "whoami", env=world).stdout.splitlines()
    column = listed[0].split().index("deployed")
    [row] = [line for line in listed if line.startswith("whoami ")]
    assert row.split()[column] == "1"
    [entry] = [e for e in json_lines(run_cli("catalog", "--json", env=world).stdout)
               if e["id"] == "whoami"]  # fmt: skip
    assert (entry["deployed"], entry["deployed_as"]) == (1, [HOST])
    others = [e for e in json_lines(run_cli("catalog", "--json", env=world).stdout)
              if e["id"] != "whoami"]  # fmt: skip
    assert others and all(e["deployed"] == 0 for e in others)
    shown = json.loads(run_cli("catalog", "show", "whoami", "--json", env=world).stdout)
    assert (shown["deployed"], shown["deployed_as"]) == (1, [HOST])
    text = run_cli("catalog", "show", "whoami", env=world).stdout
    assert text.startswith(f"# deployed 1: {HOST}\n")


def test_a_reader_that_goes_away_ends_the_output_without_a_traceback(world):
    proc = subprocess.Popen(
        [sys.executable, "-m", "proximity_tui", "restart", HOST, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=world,
        cwd=REPO,
    )
    assert json.loads(proc.stdout.readline())  # the first event, then the reader goes (| head)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=180) == 0, err
    assert "Traceback" not in err and "Broken pipe" not in err, err
