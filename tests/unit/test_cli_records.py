"""`migrate`, `apps` and `history` through the real command line (`python -m proximity_tui`),
with every path pointed into tmp_path so nothing touches the user's real directories."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.commandline import json_lines


@pytest.fixture
def cli(tmp_path):
    env = {
        **os.environ,
        "PROXIMITY_DATA_DIR": str(tmp_path / "data"),
        "PROXIMITY_CONFIG": str(tmp_path / "config.toml"),
    }
    env.pop("PROXIMITY_DB", None)
    (tmp_path / "config.toml").write_text("[ui]\ntheme = 'nord'\n")

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "proximity_tui", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    return run


def apps_file(tmp_path, entries):
    path = tmp_path / "apps.json"
    path.write_text(json.dumps({"apps": entries}))
    return path


def entry(n, **over):
    return {
        "id": f"nginx-web{n}", "catalog_id": "nginx", "name": "Nginx", "hostname": f"web{n}",
        "status": "running", "url": None, "lxc_id": 100 + n, "node": "pve1",
        "created_at": "2025-10-04 00:33:41.918809", "updated_at": "2025-10-04 00:33:41.918810",
        "config": {}, "ports": {}, "volumes": [], "environment": {}, **over,
    }  # fmt: skip


def test_migrate_then_list_apps_and_history(cli, tmp_path):
    source = apps_file(tmp_path, [entry(1), entry(2, hostname="Bad_Host")])
    # No Proxmox configured here: the containers' tags cannot be checked, so nothing is adopted
    # unless the user says so (adoption itself: tests/integration/cli/test_migrate_adoption.py).
    unchecked = cli("migrate", str(source))
    assert unchecked.returncode == 2 and unchecked.stderr.count("\n") == 1, unchecked.stderr
    assert "no Proxmox credentials" in unchecked.stderr
    assert "--adopt-untagged" in unchecked.stderr and not (tmp_path / "data").exists()
    dry = cli("migrate", "--adopt-untagged", str(source), "--dry-run")
    assert dry.returncode == 1 and "Dry run: nothing was written." in dry.stdout
    assert not (tmp_path / "data").exists()  # a dry run creates no database

    first = cli("migrate", "--adopt-untagged", str(source))
    assert first.returncode == 1, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "created   #1 nginx-web1 (web1)"
    assert lines[1].startswith("skipped   #2 id 'nginx-web2': hostname 'Bad_Host' is not valid")
    for label, value in [("Total", 2), ("Created", 1), ("Updated", 0), ("Unchanged", 0),
                         ("Skipped", 1), ("Errors", 0)]:  # fmt: skip
        assert f"{label + ':':<10} {value}" in lines
    assert first.stderr.startswith("proximity-tui: warning: containers not checked: no Proxmox")
    assert first.stderr.count("\n") == 1 and "Containers not checked" in first.stdout

    again = cli("migrate", "--adopt-untagged", str(source), "--json")
    report = json.loads(again.stdout)
    assert report["summary"] == {"total": 2, "created": 0, "updated": 0, "unchanged": 1,
                                 "skipped": 1, "errors": 0}  # fmt: skip
    assert report["entries"][1]["outcome"] == "skipped" and again.returncode == 1

    db = sqlite3.connect(tmp_path / "data" / "proximity.db")  # what an inspector sees
    assert db.execute("SELECT id, hostname, lxc_id FROM apps").fetchall() == [
        ("nginx-web1", "web1", 101)
    ]
    db.close()

    apps = cli("apps", "--json")
    assert apps.returncode == 0
    [app] = json_lines(apps.stdout)
    assert {k: app[k] for k in ("id", "hostname", "status", "node", "vmid", "url")} == {
        "id": "nginx-web1", "hostname": "web1", "status": "running", "node": "pve1",
        "vmid": 101, "url": None,
    }  # fmt: skip
    assert app["owner"]  # the OS user, made the first admin
    table = cli("apps").stdout.splitlines()
    assert table[0].split() == [
        "id",
        "name",
        "hostname",
        "status",
        "node",
        "vmid",
        "url",
        "owner",
    ]
    assert table[1].split()[:6] == ["nginx-web1", "Nginx", "web1", "running", "pve1", "101"]

    history = cli("history", "--json", "--limit", "1")
    [op] = json_lines(history.stdout)
    assert (op["kind"], op["status"], op["result"]["unchanged"]) == ("migrate", "succeeded", 1)
    text = cli("history").stdout.splitlines()
    assert text[0].split()[:4] == ["id", "started_at", "kind", "status"]
    assert len(text) == 3 and all(" migrate " in line for line in text[1:])


def test_unusable_input_is_one_line_exit_2_and_changes_nothing(cli, tmp_path):
    source = apps_file(tmp_path, [entry(1)])
    assert cli("migrate", "--adopt-untagged", str(source)).returncode == 0
    db = tmp_path / "data" / "proximity.db"
    before = (db.read_bytes(), sorted(os.listdir(tmp_path / "data")))
    source.write_text('{"apps": [')
    out = cli("migrate", "--adopt-untagged", str(source), "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith(f"proximity-tui: error: {source}: not JSON")
    assert (db.read_bytes(), sorted(os.listdir(tmp_path / "data"))) == before


def test_empty_database_and_bad_arguments(cli):
    assert cli("apps").stdout == "no apps\n"
    assert cli("history").stdout == "no operations yet\n"
    bad = cli("history", "--limit", "0")
    assert bad.returncode == 2
    assert bad.stderr == "proximity-tui: error: --limit must be a positive integer, got '0'\n"


def test_a_bad_config_names_the_file_and_the_key(cli, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[ui]\nrefresh_seconds = 'fast'\n")
    out = cli("apps")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert str(config) in out.stderr and "ui.refresh_seconds" in out.stderr
    assert not (tmp_path / "data").exists()


def test_a_database_path_that_is_not_a_database(cli, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite at all " * 100)
    out = cli("--db", str(junk), "apps")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "cannot use database" in out.stderr and str(junk) in out.stderr
