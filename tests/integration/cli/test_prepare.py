"""`proximity-tui prepare NODE`: builds the node's Docker-ready base once, checks it after that,
replaces it with --rebuild; bad input exits 2 and changes nothing (a separate simulator process)."""

from __future__ import annotations

import json

from tests.commandline import json_lines, run_cli


def test_prepare_builds_then_checks_then_rebuilds(cli_env):
    first = run_cli("prepare", "pve1", "--json", env=cli_env)
    assert first.returncode == 0, first.stderr
    events = [json.loads(line) for line in first.stdout.splitlines()]
    built = events[-1]["result"]
    assert built["node"] == "pve1" and built["docker"] and built["alpine"].startswith("3.")
    assert any("building the Docker-ready base of pve1" in e.get("message", "") for e in events)

    again = run_cli("prepare", "pve1", env=cli_env)
    assert again.returncode == 0, again.stderr
    assert f"Docker-ready base of pve1: CT {built['vmid']}" in again.stdout
    assert "building" not in again.stdout

    rebuilt = run_cli("prepare", "pve1", "--rebuild", "--json", env=cli_env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    lines = [json.loads(line) for line in rebuilt.stdout.splitlines()]
    assert lines[-1]["result"]["vmid"] != built["vmid"]
    assert any(
        f"removed the outdated base CT {built['vmid']}" in e.get("message", "") for e in lines
    )

    history = json_lines(run_cli("history", "--json", env=cli_env).stdout)
    assert [op["kind"] for op in history] == ["prepare"] * 3
    apps = json_lines(run_cli("apps", "--json", env=cli_env).stdout)
    assert apps == []  # a base is never an app


def test_prepare_an_unknown_node_exits_2(cli_env):
    bad = run_cli("prepare", "nosuchnode", env=cli_env)
    assert bad.returncode == 2 and "not an online node" in bad.stderr
    assert "building" not in bad.stdout


def test_prepare_with_apps_carries_their_images_and_the_doctor_lists_them(cli_env):
    done = run_cli("prepare", "pve2", "--with", "whoami", "--json", env=cli_env)
    assert done.returncode == 0, done.stderr
    result = [json.loads(line) for line in done.stdout.splitlines()][-1]["result"]
    assert result["images"].startswith("traefik/whoami:") and result["images-pulled"]
    doctor = run_cli("doctor", env=cli_env)
    assert f"CT {result['vmid']} on pve2" in doctor.stdout
    assert f"carries {result['images']}" in doctor.stdout
    assert "pve2" in run_cli("history", "--json", env=cli_env).stdout  # journaled by node


def test_prepare_with_an_unknown_app_exits_2_and_builds_nothing(cli_env):
    bad = run_cli("prepare", "pve3", "--with", "whoami,no-such-app", env=cli_env)
    assert bad.returncode == 2 and "no-such-app" in bad.stderr
    assert "building" not in bad.stdout
    history = run_cli("history", "--json", env=cli_env)
    assert history.returncode == 0 and "pve3" not in history.stdout  # nothing journaled
