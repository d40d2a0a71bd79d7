"""`proximity-tui doctor` and `setup` as a user runs them: the installed command in a subprocess,
against `proximity-tui sim` in its own process (the fixtures of tests/integration/cli)."""

from __future__ import annotations

import json
import tomllib

from proximity_tui.config import write_config
from tests.commandline import run_cli


def _config_with(tmp_path, sim_process, **proxmox):
    data = tomllib.loads(sim_process.config.read_text())
    data["proxmox"].update(proxmox)
    path = tmp_path / "config.toml"
    write_config(path, data)
    return path


def test_doctor_on_a_default_host_is_ready(cli_env):
    res = run_cli("doctor", "--json", env=cli_env)
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert report["ok"] is True and report["failures"] == 0
    by_name = {c["name"]: c for c in report["checks"]}
    for name in ("connection", "version", "certificate", "storage: containers",
                 "snapshots", "template", "pct: pve1", "pct: pve2", "pct: pve3"):  # fmt: skip
        assert by_name[name]["status"] == "ok", by_name[name]
    assert set(report["checks"][0]) == {"name", "status", "detail", "fix"}
    assert "pinned" in by_name["certificate"]["detail"]
    # root@pam's token is all-powerful: the doctor says so and points at setup
    assert by_name["auth"]["status"] == "warn"
    assert "proximity-tui setup" in by_name["auth"]["fix"]


def test_doctor_text_names_the_failure_and_exits_1(cli_env, sim_process, tmp_path):
    cli_env["PROXIMITY_CONFIG"] = str(
        _config_with(tmp_path, sim_process, token_value="not-the-secret")
    )
    res = run_cli("doctor", env=cli_env)
    assert res.returncode == 1
    assert "[FAIL] connection:" in res.stdout
    assert "fix: Check the user (user@realm), the token id and secret" in res.stdout
    assert "not-the-secret" not in res.stdout + res.stderr
    assert res.stdout.strip().splitlines()[-1].startswith("not ready: 1 problem: connection")


def test_doctor_template_rotated_out_of_the_index(cli_env, sim_process, tmp_path):
    data = tomllib.loads(sim_process.config.read_text())
    data.setdefault("deploy", {})["template"] = "alpine-3.19-default_20240207_amd64.tar.xz"
    path = tmp_path / "config.toml"
    write_config(path, data)
    cli_env["PROXIMITY_CONFIG"] = str(path)
    res = run_cli("doctor", "--json", env=cli_env)
    assert res.returncode == 1
    (check,) = [c for c in json.loads(res.stdout)["checks"] if c["name"] == "template"]
    assert check["status"] == "fail"
    assert "is neither on node pve1 nor in its appliance index" in check["detail"]
    assert check["fix"].startswith('remove [deploy] template (or set it to "alpine-3.')


def test_doctor_without_a_config_says_so(tmp_path):
    env = {"PROXIMITY_CONFIG": str(tmp_path / "none.toml"), "PATH": "/usr/bin:/bin"}
    env["PROXIMITY_DATA_DIR"] = str(tmp_path / "data")
    res = run_cli("doctor", env=env)
    assert res.returncode == 2
    assert "config error" in res.stderr or "no Proxmox host configured" in res.stderr


def test_setup_refuses_a_user_that_is_not_root(cli_env, sim_process, tmp_path):
    cli_env["PROXIMITY_CONFIG"] = str(_config_with(tmp_path, sim_process, user="bob@pve"))
    before = (tmp_path / "config.toml").read_bytes()
    res = run_cli("setup", env=cli_env)
    assert res.returncode == 2
    assert "setup must run as root@pam" in res.stderr and "Nothing was changed" in res.stderr
    assert (tmp_path / "config.toml").read_bytes() == before


def test_setup_refuses_bad_names_before_connecting(cli_env):
    res = run_cli("setup", "--user", "nobody", env=cli_env)
    assert res.returncode == 2
    assert "--user: not a valid Proxmox user" in res.stderr
    res = run_cli("setup", "--user", "bot@pam", "--dry-run", env=cli_env)
    assert res.returncode == 2 and "use the pve realm" in res.stderr
