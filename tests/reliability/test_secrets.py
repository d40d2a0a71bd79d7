"""Secrets (issue 8, point 6): generated passwords and tokens, and the Proxmox credentials, never
appear in the journal, the command line's output (`--json` included), logs or error messages;
the files holding them are private; the Proxmox password or token can come from an environment
variable or a file instead of the config, end to end through the command line.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from proximity_tui.config import load_settings, write_config
from proximity_tui.errors import ProximityError
from tests.commandline import run_cli
from tests.reliability.conftest import make_services


def dump_database(path: Path) -> str:
    """Every value the database holds, as SQL text (what anyone with the file can read)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def secret_values(db: Path) -> list[str]:
    """The generated secrets of every app (the `apps` row holds them, by design)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT environment, config FROM apps").fetchall()
    finally:
        conn.close()
    out = []
    for env, config in rows:
        names = json.loads(config).get("secret_names") or []
        out += [json.loads(env)[n] for n in names]
    return out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_full_lifecycle_through_the_command_line_leaks_no_secret(sim_process, tmp_path):
    data = tmp_path / "data"
    env = sim_process.env(data)
    db = data / "proximity.db"
    outputs = []

    def cli(*args: str):
        result = run_cli(*args, env=env)
        outputs.append(result.stdout + result.stderr)
        assert result.returncode == 0, (args, result.stderr)
        return result

    def together(*commands: tuple[str, ...]) -> None:
        threads = [threading.Thread(target=cli, args=c) for c in commands]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    deploy = cli("deploy", "vaultwarden", "--hostname", "vault", "--json")
    app = json.loads(deploy.stdout.splitlines()[-1])["result"]
    assert app["environment"]["ADMIN_TOKEN"] == "********"
    together(("clone", "vault", "vault-copy", "--json"), ("status", "--json"), ("logs", "vault"))
    secrets = secret_values(db)
    assert len(secrets) == 2 and secrets[0] == secrets[1] and len(secrets[0]) >= 32
    # The files holding them are private, the WAL beside the database included.
    assert mode(data) == 0o700 and mode(db) == 0o600
    for side in data.glob("proximity.db-*"):
        assert mode(side) == 0o600, side
    assert mode(sim_process.config) == 0o600
    together(
        ("delete", "vault", "--yes", "--json"),
        ("delete", "vault-copy", "--yes", "--json"),
        ("history", "--json"),
    )

    credentials = [sim_process.info.token_secret, sim_process.info.password]
    blob = "\n".join(outputs)
    everything = dump_database(db)  # the journal: operations and operation_events, users...
    assert "vault" in everything and "ADMIN_TOKEN" in blob  # the test looks at the right things
    for value in secrets + credentials:
        assert value not in blob
        assert value not in everything


def test_logs_and_errors_of_a_lifecycle_leak_no_secret(sim, tmp_path, caplog):
    """A second process (fresh services on the same database) never saw the deploy register the
    app's secrets: a failing command that prints one must still be masked in what it reports."""
    from pvesim.faults import FaultRule

    caplog.set_level(logging.DEBUG)
    first = make_services(sim, tmp_path)
    try:
        app = first.call(first.apps.deploy_app("vaultwarden", "vault-logs"))
        secret = first.call(first.apps.reveal_secret(app.id, "ADMIN_TOKEN"))
    finally:
        first.close(wait=10)
    second = make_services(sim, tmp_path)
    messages = []
    try:
        sim.faults.add(
            FaultRule(command=r"compose .* pull", exit_status=1, stderr=f"bad token {secret}\n")
        )
        with pytest.raises(ProximityError) as err:
            second.call(second.apps.update_app(app.id))
        messages.append(str(err.value))
        with pytest.raises(ProximityError) as err:  # input errors never echo a value back
            second.call(
                second.apps.deploy_app("vaultwarden", "v2", environment={"X": secret + "\n"})
            )
        messages.append(str(err.value))
        op = second.call(second.apps.operations(app_id=app.id))[0]
        assert op.kind == "update" and op.status == "rolled_back"
        messages += [op.error or "", json.dumps(op.result)]
        messages += [e.message for e in second.journal.get(op.id).events]
        second.call(second.apps.delete_app(app.id))
    finally:
        sim.faults.clear()
        second.close(wait=10)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # DEBUG logging really was on (asyncssh, the simulator...)
    assert "bad token" in " ".join(messages)  # the failure itself is reported
    for text in (logged, *messages, dump_database(tmp_path / "db.sqlite")):
        assert secret not in text
        assert sim.info.token_secret not in text


# --- credentials from the environment or a file -----------------------------------------------


@pytest.fixture
def bare_config(sim_process, tmp_path):
    """The simulator's config without its credentials: they come from elsewhere."""
    settings = load_settings(sim_process.config, env={})

    def write(auth: str, **extra: str) -> Path:
        px = settings.proxmox
        proxmox = {
            "host": px.host,
            "port": px.port,
            "user": px.user,
            "fingerprint": px.fingerprint,
            **({"token_name": px.token_name} if auth == "token" else {}),
            **extra,
        }
        ssh = {
            "mode": "ssh",
            "user": settings.ssh.user,
            "key": settings.ssh.key,
            "fingerprint": settings.ssh.fingerprint,
            "nodes": settings.ssh.nodes,
        }
        path = tmp_path / f"config-{auth}-{len(extra)}.toml"
        write_config(path, {"proxmox": proxmox, "ssh": ssh})
        assert "token_value =" not in path.read_text() and "password =" not in path.read_text()
        return path

    return write


def test_credentials_from_the_environment_or_a_file(sim_process, bare_config, tmp_path):
    info = sim_process.info
    token_file = tmp_path / "token"
    token_file.write_text(info.token_secret + "\n")
    token_file.chmod(0o600)
    password_file = tmp_path / "password"
    password_file.write_text(info.password + "\n")
    password_file.chmod(0o600)
    runs = {
        "token from the environment": (
            bare_config("token"),
            {"PROXIMITY_PROXMOX_TOKEN_VALUE": info.token_secret},
        ),
        "token from a file": (bare_config("token", token_value_file=str(token_file)), {}),
        "password from the environment": (
            bare_config("password"),
            {"PROXIMITY_PROXMOX_PASSWORD": info.password},
        ),
        "password from a file": (bare_config("password", password_file=str(password_file)), {}),
        "a wrong token from the environment": (
            bare_config("token"),
            {"PROXIMITY_PROXMOX_TOKEN_VALUE": "00000000-1111-2222-3333-444444444444"},
        ),
    }
    results = {}

    def run(name: str) -> None:
        config, extra = runs[name]
        env = sim_process.env(tmp_path / name.replace(" ", "-"), **extra)
        env["PROXIMITY_CONFIG"] = str(config)
        results[name] = run_cli("status", "--json", env=env)

    threads = [threading.Thread(target=run, args=(name,)) for name in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for name, result in results.items():
        if name.startswith("a wrong"):
            assert result.returncode != 0 and result.stderr.count("\n") == 1, result.stderr
            assert "invalid token" in result.stderr, result.stderr
            assert "00000000-1111" not in result.stderr + result.stdout
        else:
            assert result.returncode == 0, (name, result.stderr)
            assert json.loads(result.stdout)["ok"] is True, name
        assert info.token_secret not in result.stdout + result.stderr
        assert info.password not in result.stdout + result.stderr


def test_debug_logging_of_a_deploy_never_prints_the_root_password(sim, tmp_path, monkeypatch):
    """Issue 15: proxmoxer logs each request body at INFO, the CT's generated root password
    included. With every logger at DEBUG (proxmoxer's too), a deploy and a delete against the
    simulator print no generated value, and no Proxmox credential."""
    import io
    import secrets as secrets_module

    import proxmoxer.core  # noqa: F401 - its import sets its logger to WARNING: before ours

    generated: list[str] = []
    real = secrets_module.token_urlsafe

    def spy(n: int | None = None) -> str:
        value = real(n)
        generated.append(value)
        return value

    monkeypatch.setattr(secrets_module, "token_urlsafe", spy)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "proxmoxer", "proxmoxer.core")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        services = make_services(sim, tmp_path, **{"deploy.base": False})  # create: the password
        try:
            app = services.call(services.apps.deploy_app("whoami", "log-scrub"))
            services.call(services.apps.delete_app(app.id))
        finally:
            services.close(wait=10)
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    logged = out.getvalue()
    assert "POST" in logged and "/lxc" in logged  # proxmoxer's request lines were logged
    assert "'password': '***'" in logged  # the create call's body, scrubbed
    assert generated  # the deploy generated its root password through the spy
    for value in [*generated, sim.info.token_secret]:
        assert value not in logged
