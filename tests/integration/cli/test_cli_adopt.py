"""`proximity-tui adopt` end to end: a second data directory (its own database) against the same
simulated cluster adopts what the first deployed; output, exit codes and what the database holds."""

from __future__ import annotations

import json
import sqlite3

from tests.commandline import json_lines, run_cli
from tests.integration.cli.conftest import data_db


def rows(env) -> list[tuple]:
    with sqlite3.connect(data_db(env)) as conn:
        return conn.execute(
            "SELECT id, hostname, lxc_id, node, status, url FROM apps ORDER BY hostname"
        ).fetchall()


def test_a_second_database_adopts_what_the_first_deployed(sim_process, tmp_path):
    first = sim_process.env(tmp_path / "first")
    second = sim_process.env(tmp_path / "second")
    deploy = run_cli("deploy", "whoami", "--hostname", "adopt-me", env=first)
    assert deploy.returncode == 0, deploy.stderr
    assert run_cli("apps", env=second).stdout.strip() == "no apps"

    dry = run_cli("adopt", "--dry-run", "--json", env=second)
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] and report["adopted"] == []
    planned = {item["hostname"]: item for item in report["adopt"]}
    assert planned["adopt-me"]["catalog_id"] == "whoami" and planned["adopt-me"]["url"]
    assert not data_db(second).exists() or rows(second) == []  # a dry run records nothing

    text = run_cli("adopt", env=second)
    assert text.returncode == 0, text.stderr
    assert "adopt-me" in text.stdout and "adopted" in text.stdout
    mine = [r for r in rows(second) if r[1] == "adopt-me"]
    assert mine == [r for r in rows(first) if r[1] == "adopt-me"]
    history = json_lines(run_cli("history", "--json", env=second).stdout)
    assert history[0]["kind"] == "adopt" and history[0]["status"] == "succeeded"

    again = run_cli("adopt", "--json", env=second)
    assert again.returncode == 0 and json.loads(again.stdout)["adopt"] == []

    # The first database is lost: adopt brings the app back, and it can be operated.
    before = [r for r in rows(first) if r[1] == "adopt-me"]
    db = data_db(first)
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)
    restored = run_cli("adopt", env=first)
    assert restored.returncode == 0, restored.stderr
    assert [r for r in rows(first) if r[1] == "adopt-me"] == before
    stop = run_cli("stop", "adopt-me", env=first)
    assert stop.returncode == 0, stop.stderr


def test_bad_input_is_refused_and_changes_nothing(sim_process, tmp_path):
    env = sim_process.env(tmp_path / "data")
    for args in (("--catalog-id", "whoami"), ("--untagged",), ("notanumber",)):
        result = run_cli("adopt", *args, env=env)
        assert result.returncode == 2, (args, result.stdout)
        assert len(result.stderr.strip().splitlines()) == 1
    assert not data_db(env).exists() or rows(env) == []
