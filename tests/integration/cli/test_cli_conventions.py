"""Command-line conventions: a misspelt --env name is refused with the likely intended name, and
Ctrl-C ends `logs --follow` with 130 like other follow-mode tools."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys

from tests.commandline import run_cli
from tests.integration.cli.conftest import data_db


def hostnames(env) -> list[str]:
    if not data_db(env).exists():
        return []
    with sqlite3.connect(data_db(env)) as conn:
        return [h for (h,) in conn.execute("SELECT hostname FROM apps ORDER BY hostname")]


def test_an_undeclared_env_name_is_refused_with_a_suggestion_and_changes_nothing(cli_env):
    result = run_cli(
        "deploy", "grafana", "--hostname", "cli-graf", "--env", "ADMIN_USR=boss", env=cli_env
    )
    assert result.returncode == 2, result.stderr
    assert "ADMIN_USR" in result.stderr and "did you mean ADMIN_USER?" in result.stderr
    assert "--env-extra" in result.stderr
    assert result.stderr.count("\n") == 1
    assert hostnames(cli_env) == []


def test_env_extra_passes_an_undeclared_name(cli_env):
    result = run_cli(
        "deploy", "whoami", "--hostname", "cli-extra", "--env", "EXTRA=1", "--env-extra",
        env=cli_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert hostnames(cli_env) == ["cli-extra"]


def test_ctrl_c_ends_logs_follow_with_130_and_no_error(cli_env):
    deploy = run_cli("deploy", "whoami", "--hostname", "cli-follow", env=cli_env)
    assert deploy.returncode == 0, deploy.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "proximity_tui", "logs", "cli-follow", "--follow"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip()  # following: the backlog has arrived
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "failed" not in err and "Traceback" not in err
