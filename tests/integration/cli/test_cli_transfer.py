"""`proximity-tui export` / `import` end to end: a file of one data directory imported into
another gives the same app list; secrets only sealed, the passphrase never on the command line."""

from __future__ import annotations

import json
import sqlite3
import stat

from tests.commandline import json_lines, run_cli
from tests.integration.cli.conftest import data_db


def rows(env) -> list[tuple]:
    with sqlite3.connect(data_db(env)) as conn:
        found = conn.execute(
            "SELECT id, hostname, lxc_id, node, status, url, environment FROM apps ORDER BY id"
        ).fetchall()
    return [(*row[:-1], json.loads(row[-1])) for row in found]


def secret_of(env, hostname: str) -> str:
    with sqlite3.connect(data_db(env)) as conn:
        (text,) = conn.execute(
            "SELECT environment FROM apps WHERE hostname = ?", (hostname,)
        ).fetchone()
    return json.loads(text)["ADMIN_TOKEN"]


def test_export_and_import_between_two_data_directories(sim_process, tmp_path):
    first = sim_process.env(tmp_path / "first")
    second = sim_process.env(tmp_path / "second")
    deploy = run_cli("deploy", "vaultwarden", "--hostname", "xfer-vault", env=first)
    assert deploy.returncode == 0, deploy.stderr
    secret = secret_of(first, "xfer-vault")

    plain = tmp_path / "plain.yaml"
    done = run_cli("export", str(plain), "--json", env=first)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["apps"] == 1
    assert stat.S_IMODE(plain.stat().st_mode) == 0o600
    assert secret not in plain.read_text() and "ADMIN_TOKEN" in plain.read_text()

    passphrase = tmp_path / "pass.txt"
    passphrase.write_text("correct horse battery\n")
    sealed = tmp_path / "sealed.yaml"
    done = run_cli(
        "export", str(sealed), "--with-secrets", "--passphrase-file", str(passphrase), env=first
    )
    assert done.returncode == 0, done.stderr
    assert secret not in sealed.read_text() and "correct horse" not in sealed.read_text()

    # No terminal and no passphrase file: refused, nothing imported.
    refused = run_cli("import", str(sealed), env=second)
    assert refused.returncode == 2 and "passphrase" in refused.stderr
    assert not data_db(second).exists() or rows(second) == []

    imported = run_cli("import", str(sealed), "--passphrase-file", str(passphrase), env=second)
    assert imported.returncode == 0, imported.stderr
    assert "imported 1 apps" in imported.stdout and "1 secrets restored" in imported.stdout
    assert rows(second) == rows(first)
    listed = run_cli("apps", "--json", env=second)
    assert [a["hostname"] for a in json_lines(listed.stdout)] == ["xfer-vault"]
    status = run_cli("status", "--json", env=second)  # the same cluster answers for it
    assert status.returncode == 0 and json.loads(status.stdout)["apps"][0]["status"] == "running"


def test_an_unusable_file_is_refused_and_changes_nothing(sim_process, tmp_path):
    env = sim_process.env(tmp_path / "data")
    cases = {
        "missing.yaml": None,
        "not-yaml.yaml": "apps: [unclosed\n",
        "foreign.yaml": "apps: []\n",
        "newer.yaml": "proximity-tui-export: 9\napps: []\n",
        "aliases.yaml": "proximity-tui-export: 1\nx: &a [1]\napps: *a\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        result = run_cli("import", str(path), env=env)
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (name, result.stderr)
    assert not data_db(env).exists() or rows(env) == []
