"""Issue 16, missing 2: `proximity-tui retry OP` runs a failed deploy again with the same settings
(against `proximity-tui sim`, real HTTPS and SSH); values the first deploy was given must come
again (the journal keeps only their names); anything but a failed deploy is refused in one line."""

from __future__ import annotations

import json
import sqlite3

from tests.commandline import json_lines, run_cli
from tests.integration.cli.conftest import data_db

#: The app's image pull fails once: a step every deploy runs, whether its CT is created from the
#: OS template or cloned from the node's Docker-ready base.
PULL_FAILS = {"command": "compose -f .*pull", "exit_status": 1, "stderr": "pull access denied"}


def deploys(env) -> list[tuple]:
    with sqlite3.connect(data_db(env)) as conn:
        return conn.execute(
            "SELECT id, status, parameters FROM operations WHERE kind = 'deploy' ORDER BY id"
        ).fetchall()


def test_retry_a_failed_deploy_with_the_same_settings(cli_env, sim_process):
    sim_process.add_faults(PULL_FAILS)
    failed = run_cli(
        "deploy", "whoami", "--hostname", "cli-retry", "--memory", "384", "--cores", "2",
        env=cli_env,
    )  # fmt: skip
    assert failed.returncode == 1, failed.stderr
    [(op_id, status, _)] = deploys(cli_env)
    assert status == "failed"  # rolled back, its app gone

    retried = run_cli("retry", str(op_id), env=cli_env)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.startswith(
        f"retrying deploy #{op_id}: whoami as cli-retry (cores 2, memory 384)\n"
    )
    assert "cli-retry is running" in retried.stdout
    (_, _, first), (new_id, status, again) = deploys(cli_env)
    assert status == "succeeded" and json.loads(again) == json.loads(first)  # the same request
    shown = json_lines(run_cli("apps", "--json", env=cli_env).stdout)
    assert [(a["hostname"], a["status"]) for a in shown] == [("cli-retry", "running")]

    # Only a failed deploy: a succeeded one, another kind, an unknown id, a bad id.
    for args, said in (
        ((str(new_id),), f"operation #{new_id} succeeded: only a failed deploy can be retried"),
        (("999",), "operation not found: 999"),
        (("x1",), "OP must be an operation id, got 'x1'"),
    ):
        refused = run_cli("retry", *args, env=cli_env)
        assert refused.returncode == 2, (args, refused.stderr)
        assert refused.stderr == f"proximity-tui: error: {said}\n"
    assert len(deploys(cli_env)) == 2  # nothing started
    assert run_cli("delete", "cli-retry", "--yes", env=cli_env).returncode == 0


def test_values_given_the_first_time_must_be_given_again(cli_env, sim_process):
    sim_process.add_faults(PULL_FAILS)
    failed = run_cli(
        "deploy", "grafana", "--hostname", "cli-retry-env", "--env", "ADMIN_USER=boss",
        env=cli_env,
    )  # fmt: skip
    assert failed.returncode == 1, failed.stderr
    [(op_id, _, params)] = deploys(cli_env)
    assert "boss" not in params  # the journal kept the name only

    refused = run_cli("retry", str(op_id), env=cli_env)
    assert refused.returncode == 2
    assert refused.stderr == (
        f"proximity-tui: error: operation #{op_id} was given ADMIN_USER: the journal keeps no "
        "values, give them again (--env NAME=VALUE, or deploy from the form)\n"
    )
    assert len(deploys(cli_env)) == 1
    retried = run_cli("retry", str(op_id), "--env", "ADMIN_USER=boss", "--json", env=cli_env)
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout.splitlines()[-1])["result"]["hostname"] == "cli-retry-env"
    assert run_cli("delete", "cli-retry-env", "--yes", env=cli_env).returncode == 0
