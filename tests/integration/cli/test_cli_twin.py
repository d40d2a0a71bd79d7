"""`proximity-tui deploy|start|stop|...` end to end: output, exit codes, and what the database
and the simulator hold afterwards."""

from __future__ import annotations

import json
import sqlite3

from tests.commandline import json_lines, run_cli
from tests.integration.cli.conftest import data_db


def apps_in_db(env) -> list[tuple]:
    with sqlite3.connect(data_db(env)) as conn:
        return conn.execute(
            "SELECT hostname, status, lxc_id FROM apps ORDER BY hostname"
        ).fetchall()


def test_deploy_stop_start_backup_delete(cli_env):
    deploy = run_cli("deploy", "whoami", "--hostname", "cli-web", env=cli_env)
    assert deploy.returncode == 0, deploy.stderr
    assert "[compose] " in deploy.stdout and "cli-web is running: http://" in deploy.stdout
    assert apps_in_db(cli_env)[0][:2] == ("cli-web", "running")

    status = run_cli("status", "--json", env=cli_env)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["ok"] and report["apps"][0]["hostname"] == "cli-web"
    assert report["apps"][0]["status"] == "running" and report["apps"][0]["cpu"] is not None

    stop = run_cli("stop", "cli-web", "--json", env=cli_env)
    assert stop.returncode == 0, stop.stderr
    events = [json.loads(line) for line in stop.stdout.splitlines()]
    assert events[-1] == {"result": events[-1]["result"]} and events[-1]["result"]["status"] == (
        "stopped"
    )
    assert any(e.get("kind") == "step_started" and e["step"] == "shutdown" for e in events[:-1])
    assert apps_in_db(cli_env)[0][1] == "stopped"

    assert run_cli("start", "cli-web", env=cli_env).returncode == 0
    backup = run_cli("backup", "cli-web", env=cli_env)
    assert backup.returncode == 0 and "local:backup/vzdump-lxc-" in backup.stdout
    listed = run_cli("backups", "cli-web", "--json", env=cli_env)
    assert json_lines(listed.stdout)[0]["volid"].startswith("local:backup/")

    logs = run_cli("logs", "cli-web", "--tail", "5", env=cli_env)
    assert logs.returncode == 0 and logs.stdout.strip()

    refused = run_cli("delete", "cli-web", env=cli_env, input="")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    typed_wrong = run_cli("delete", "cli-web", "--yes", env=cli_env)
    assert typed_wrong.returncode == 0
    assert apps_in_db(cli_env) == []
    history = run_cli("history", "--json", env=cli_env)
    kinds = [op["kind"] for op in json_lines(history.stdout)]
    assert kinds == ["delete", "backup", "start", "stop", "deploy"]


def test_bad_input_exits_2_and_changes_nothing(cli_env):
    for args in (
        ("deploy", "whoami", "--hostname", "bad_host"),
        ("deploy", "no-such-app", "--hostname", "fine"),
        ("deploy", "whoami", "--hostname", "fine", "--env", "NOEQUALS"),
        ("deploy", "whoami", "--hostname", "fine", "--memory", "1"),
        ("start", "no-such-app"),
        ("deploy", "whoami"),
    ):
        result = run_cli(*args, env=cli_env)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert not data_db(cli_env).exists() or apps_in_db(cli_env) == []


def test_a_failed_operation_exits_1_with_the_real_cause(cli_env, sim_process):
    # Docker installed in the CT (the node's base is built now) or only waited for in a clone of
    # the base (it exists): either way it fails, in the step that met it.
    for command in ("apk add", "docker info"):
        sim_process.add_faults(
            {
                "command": command,
                "exit_status": 1,
                "stderr": "ERROR: unable to select packages: docker",
            }
        )

    result = run_cli("deploy", "whoami", "--hostname", "cli-broken", env=cli_env)
    assert result.returncode == 1
    assert "unable to select packages" in result.stderr
    assert "docker failed" in result.stderr or "template failed" in result.stderr
    assert "rolled back" in result.stdout
    assert apps_in_db(cli_env) == []


def test_no_configuration_is_a_clear_error(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMITY_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config-home")  # no config file there
    env["PROXIMITY_DATA_DIR"] = str(tmp_path / "data")
    result = run_cli("status", env=env)
    assert result.returncode == 2 and "--demo" in result.stderr


def test_an_orphan_is_listed_and_can_be_destroyed(cli_env):
    assert run_cli("deploy", "whoami", "--hostname", "cli-orphan", env=cli_env).returncode == 0
    (vmid,) = [row[2] for row in apps_in_db(cli_env) if row[0] == "cli-orphan"]
    with sqlite3.connect(data_db(cli_env)) as conn:  # the record is lost, the CT is not
        conn.execute("DELETE FROM apps WHERE hostname = 'cli-orphan'")
    status = run_cli("status", "--json", env=cli_env)
    assert vmid in [o["vmid"] for o in json.loads(status.stdout)["orphans"]]

    refused = run_cli("destroy-orphan", str(vmid), env=cli_env, input="")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    bad = run_cli("destroy-orphan", "abc", "--yes", env=cli_env)
    assert bad.returncode == 2 and "vmid" in bad.stderr
    done = run_cli("destroy-orphan", str(vmid), "--yes", env=cli_env)
    assert done.returncode == 0, done.stderr
    status = run_cli("status", "--json", env=cli_env)
    assert vmid not in [o["vmid"] for o in json.loads(status.stdout)["orphans"]]


def test_clone_to_a_node_proxmox_would_refuse_changes_nothing(cli_env):
    assert run_cli("deploy", "whoami", "--hostname", "cli-src", env=cli_env).returncode == 0
    before = run_cli("history", "--json", env=cli_env).stdout
    for node, code, words in (
        ("nosuch", 2, "no node named 'nosuch' in the cluster (nodes: pve1, "),
        (None, 1, "which node {other} cannot see: clone it on {node} or move its disk"),
    ):
        (src_node,) = [n for (h, n) in _nodes(cli_env) if h == "cli-src"]
        other = node or ("pve2" if src_node != "pve2" else "pve1")
        result = run_cli("clone", "cli-src", "cli-far", "--node", other, env=cli_env)
        assert result.returncode == code, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert words.format(other=other, node=src_node) in result.stderr
    assert [row[0] for row in apps_in_db(cli_env)] == ["cli-src"]
    assert run_cli("history", "--json", env=cli_env).stdout == before


def _nodes(env) -> list[tuple]:
    with sqlite3.connect(data_db(env)) as conn:
        return conn.execute("SELECT hostname, node FROM apps").fetchall()
