"""`proximity-tui backup APP --mode M --storage S`: a bad storage is one line, exit 2, nothing
changed; a good choice is used."""

from __future__ import annotations

import sqlite3

from tests.commandline import run_cli
from tests.integration.cli.conftest import data_db


def kinds(env) -> list[str]:
    with sqlite3.connect(data_db(env)) as conn:
        return [k for (k,) in conn.execute("SELECT kind FROM operations ORDER BY id")]


def test_backup_mode_and_storage(cli_env):
    assert run_cli("deploy", "whoami", "--hostname", "cli-bak", env=cli_env).returncode == 0
    bad = run_cli("backup", "cli-bak", "--storage", "local-lvm", env=cli_env)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0, bad.stderr
    assert "storage 'local-lvm' does not hold backups" in bad.stderr and "local" in bad.stderr
    bad_mode = run_cli("backup", "cli-bak", "--mode", "hot", env=cli_env)
    assert bad_mode.returncode == 2 and "invalid choice: 'hot'" in bad_mode.stderr
    assert kinds(cli_env) == ["deploy"]

    good = run_cli("backup", "cli-bak", "--mode", "stop", "--storage", "local", env=cli_env)
    assert good.returncode == 0, good.stderr
    assert "backup mode: stop" in good.stdout and "local:backup/vzdump-lxc-" in good.stdout
    assert kinds(cli_env) == ["deploy", "backup"]
