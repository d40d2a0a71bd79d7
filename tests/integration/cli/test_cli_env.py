"""`proximity-tui env APP` end to end: after adopt on a second database, the unknown values are
listed, a secret is set from stdin (never on the command line, never printed), another generated;
bad input exits 2 and changes nothing."""

from __future__ import annotations

import json
import sqlite3

from tests.commandline import run_cli
from tests.integration.cli.conftest import data_db


def environment(env, hostname: str) -> tuple[dict, list]:
    with sqlite3.connect(data_db(env)) as conn:
        text, config = conn.execute(
            "SELECT environment, config FROM apps WHERE hostname = ?", (hostname,)
        ).fetchone()
    return json.loads(text or "{}"), json.loads(config)["environment_unknown"]


def test_env_lists_sets_from_stdin_and_generates(sim_process, tmp_path):
    first = sim_process.env(tmp_path / "first")
    second = sim_process.env(tmp_path / "second")
    assert run_cli("deploy", "vaultwarden", "--hostname", "env-me", env=first).returncode == 0
    assert run_cli("adopt", env=second).returncode == 0

    listed = run_cli("env", "env-me", env=second)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[:4] == ["name", "secret", "known", "can_generate"]
    assert "2 values unknown: ADMIN_TOKEN, SIGNUPS_ALLOWED" in listed.stdout
    lines = run_cli("env", "env-me", "--json", env=second).stdout.splitlines()
    report = [json.loads(line) for line in lines]  # JSON lines: one object per variable
    assert {(v["app"], v["vmid"]) for v in report} == {("env-me", report[0]["vmid"])}
    states = {v["name"]: (v["known"], v["can_generate"]) for v in report}
    assert states == {"ADMIN_TOKEN": (False, True), "SIGNUPS_ALLOWED": (False, False)}

    # Bad input: exit 2, one line, nothing changed.
    before = environment(second, "env-me")
    for args in (["--set", "NOPE=1"], ["--generate", "SIGNUPS_ALLOWED"], ["--set", "=x"]):
        bad = run_cli("env", "env-me", *args, env=second)
        assert bad.returncode == 2, (args, bad.stdout)
        assert len(bad.stderr.strip().splitlines()) == 1
    assert environment(second, "env-me") == before

    secret = "typed-admin-token-4711"
    args = ("--set", "ADMIN_TOKEN", "--set", "SIGNUPS_ALLOWED=false")
    done = run_cli("env", "env-me", *args, env=second, input=secret + "\n")
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout + done.stderr
    assert "set ADMIN_TOKEN, SIGNUPS_ALLOWED" in done.stdout
    values, unknown = environment(second, "env-me")
    assert values == {"ADMIN_TOKEN": secret, "SIGNUPS_ALLOWED": "false"} and unknown == []
    assert "warning" not in done.stderr  # the secret came from stdin

    # A secret on the command line works, with a warning that the shell's history keeps it.
    typed = run_cli("env", "env-me", "--set", "ADMIN_TOKEN=on-the-line-123", env=second)
    assert typed.returncode == 0, typed.stderr
    assert "ADMIN_TOKEN is a secret given on the command line" in typed.stderr
    assert "on-the-line-123" not in typed.stdout + typed.stderr
    history = run_cli("history", "--json", env=second)
    assert secret not in history.stdout and '"env"' in history.stdout

    regenerated = run_cli("env", "env-me", "--generate", "ADMIN_TOKEN", "--json", env=second)
    assert regenerated.returncode == 0, regenerated.stderr
    values, _ = environment(second, "env-me")
    assert len(values["ADMIN_TOKEN"]) == 48 and values["ADMIN_TOKEN"] != secret
    assert values["ADMIN_TOKEN"] not in regenerated.stdout
