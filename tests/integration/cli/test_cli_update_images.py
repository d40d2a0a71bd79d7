"""`proximity-tui update APP --dry-run` says each service's current and new image and changes
nothing; the update itself says it before running."""

from __future__ import annotations

import json
import sqlite3

from tests.commandline import run_cli
from tests.integration.cli.conftest import data_db


def test_update_dry_run_lists_images_and_changes_nothing(cli_env):
    assert run_cli("deploy", "whoami", "--hostname", "cli-upd", env=cli_env).returncode == 0
    dry = run_cli("update", "cli-upd", "--dry-run", env=cli_env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "update cli-upd:",
        "  whoami: traefik/whoami:v1.11.0 (pulls the newest build of this tag)",
    ]
    as_json = run_cli("update", "cli-upd", "--dry-run", "--json", env=cli_env)
    assert json.loads(as_json.stdout) == {
        "result": [
            {
                "service": "whoami",
                "current": "traefik/whoami:v1.11.0",
                "new": "traefik/whoami:v1.11.0",
            }
        ]
    }
    with sqlite3.connect(data_db(cli_env)) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM operations")]
    assert kinds == ["deploy"]

    real = run_cli("update", "cli-upd", env=cli_env)
    assert real.returncode == 0, real.stderr
    assert real.stdout.startswith("update cli-upd:\n  whoami: traefik/whoami:v1.11.0")
    assert "cli-upd is running" in real.stdout
