"""Every `proximity-tui` command, run once as a user runs it (the installed script in a clean
environment, `--demo` or against `proximity-tui sim`): stderr holds our own lines and nothing else,
never a library's warning (cryptography's DSA deprecation printed through asyncssh was one).

The table must name every subcommand the parser knows: a new command gets a line here.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from proximity_tui.cli import PROG, build_parser

SCRIPT = str(Path(sys.executable).with_name("proximity-tui"))
DEMO = "--demo"


def subcommands(*path: str) -> set[str]:
    """The subcommands the parser knows under `path` (`catalog`, `catalog source`)."""
    parser = build_parser()
    for name in (*path, None):
        choices = next(
            (a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {}
        )
        if name is None:
            return set(choices)
        parser = choices[name]
    return set()


def ran_under(seen: dict[tuple[str, ...], object], *path: str) -> set[str]:
    """The subcommands run under `path` (the word after it, options aside)."""
    words = [tuple(a for a in args if not a.startswith("-")) for args in seen]
    return {w[len(path)] for w in words if w[: len(path)] == path and len(w) > len(path)}


def foreign(stderr: str) -> list[str]:
    """The lines on stderr that are not ours (ours all start with `proximity-tui: `)."""
    return [line for line in stderr.splitlines() if line and not line.startswith(f"{PROG}: ")]


def user_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user's environment: nothing of ours, no warning settings, a fresh home and data dir."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PROXIMITY_", "PYTHON")) and k != "HOME"
    }
    (tmp_path / "home").mkdir(exist_ok=True)
    env.update(
        HOME=str(tmp_path / "home"),
        PROXIMITY_DATA_DIR=str(tmp_path / "data"),
        PROXIMITY_DEMO_TIME_SCALE="0",
        **extra,
    )
    return env


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCRIPT, *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=180,
    )


def v1_apps_json(path: Path) -> Path:
    """An apps.json as the original Proximity wrote it (one app)."""
    entry = {
        "id": "nginx-web1",
        "catalog_id": "nginx",
        "name": "Nginx",
        "hostname": "web1",
        "status": "running",
        "url": "http://192.168.100.1:80",
        "lxc_id": 101,
        "node": "pve1",
        "created_at": "2025-10-04 00:33:41.918809",
        "updated_at": "2025-10-04 00:33:41.918810",
        "config": {},
        "ports": {"80": 80},
        "volumes": [],
        "environment": {"TZ": "UTC"},
    }
    path.write_text(json.dumps({"apps": [entry]}), encoding="utf-8")
    return path


def test_every_command_prints_only_our_own_lines_on_stderr(tmp_path):
    env = user_env(tmp_path)
    (tmp_path / "empty").mkdir()
    seen: dict[tuple[str, ...], subprocess.CompletedProcess] = {}

    def once(*args: str, env: dict[str, str] = env) -> subprocess.CompletedProcess:
        result = run(*args, env=env)
        seen[args] = result
        return result

    once("--version")
    assert once(DEMO, "status").returncode == 0  # the embedded simulator, as a newcomer tries it
    once(DEMO, "doctor")

    # `sim` runs until stopped: every other command works against it meanwhile (one simulator
    # for all, rather than one per `--demo` process), in an order that gives each something to
    # work on. Those that fail do it with our own error line.
    config = tmp_path / "sim.toml"
    sim = subprocess.Popen(
        [SCRIPT, "sim", "--time-scale", "0", "--write-config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert json.loads(sim.stdout.readline())["api_url"]
        env = {**env, "PROXIMITY_CONFIG": str(config)}
        setup = once("setup", "--dry-run", env=env)
        assert setup.returncode == 0 and "pveum" in setup.stdout, setup.stderr
        once("catalog", "--search", "who", env=env)
        once("catalog", "show", "whoami", env=env)
        once("catalog", "import", str(tmp_path / "empty"), env=env)  # nothing there: an error
        once("catalog", "lint", env=env)
        store = str(Path(__file__).resolve().parents[2] / "fixtures" / "casaos-store")
        once("catalog", "source", "add", "casa", store, "--no-sync", env=env)
        once("catalog", "source", "sync", "casa", env=env)
        once("catalog", "source", "list", env=env)
        once("catalog", "lint", "--source", "casa", env=env)
        once("catalog", "source", "remove", "casa", env=env)
        once("catalog", "source", "sync", "casa", env=env)  # removed: an error
        assert once("deploy", "whoami", "--hostname", "clean", env=env).returncode == 0
        once("apps", env=env)
        once("env", "clean", env=env)
        once("adopt", "--dry-run", env=env)  # this database knows it: nothing to adopt
        once("env", "clean", env=env)  # whoami declares no variable: the empty listing
        once("env", "clean", "--set", "NOPE=1", env=env)  # undeclared: an error
        for command in ("stop", "start", "restart", "update", "backup"):
            once(command, "clean", env=env)
        listed = once("backups", "clean", "--json", env=env)
        volid = json.loads(listed.stdout.splitlines()[0])["volid"]
        once("restore", "clean", volid, env=env)
        once("clone", "clean", "clean-copy", env=env)
        once("logs", "clean", "--tail", "3", env=env)
        once("status", env=env)
        once("delete", "clean-copy", env=env)  # no terminal to confirm on: an error
        once("delete", "clean-copy", "--yes", env=env)
        once("destroy-orphan", "999", "--yes", env=env)  # no such CT: an error
        once("retry", "1", env=env)  # a deploy that succeeded: refused
        once("prepare", "nosuchnode", env=env)  # an error
        once("history", env=env)
        exported = tmp_path / "export.yaml"
        assert once("export", str(exported), env=env).returncode == 0
        once("import", str(exported), env=env)  # all there already: each app skipped
        once("users", env=env)
        once("migrate", "--dry-run", str(v1_apps_json(tmp_path / "apps.json")), env=env)
    finally:
        sim.send_signal(signal.SIGTERM)
        out, err = sim.communicate(timeout=60)
    seen[("sim",)] = subprocess.CompletedProcess(sim.args, sim.returncode, out, err)

    ran = {next((a for a in args if not a.startswith("-")), None) for args in seen}
    assert ran >= subcommands(), f"commands never run here: {sorted(subcommands() - ran)}"
    for path in (("catalog",), ("catalog", "source")):
        missing = subcommands(*path) - ran_under(seen, *path)
        assert not missing, f"{' '.join(path)} subcommands never run here: {sorted(missing)}"
    problems = {" ".join(args): foreign(r.stderr) for args, r in seen.items() if foreign(r.stderr)}
    assert problems == {}, "stderr lines that are not ours:\n" + json.dumps(problems, indent=1)
    assert not any("Traceback" in r.stderr for r in seen.values())
    refusals = [args for args, r in seen.items() if r.returncode != 0]
    assert len(refusals) >= 3 and all(seen[a].stderr for a in refusals)  # each said why
