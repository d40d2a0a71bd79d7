"""Trust (issue 8, point 7) and roles (point 8) through the command line.

Trust: a TLS certificate or an SSH host key other than the pinned one is refused, in one line
showing both fingerprints; nothing connects unverified unless `verify_ssl = false` is set, and
then the client says it is insecure (the dashboard shows `services.cluster.insecure`).
Roles: `--read-only` and a viewer get a one-line refusal for every change, and nothing changes.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from proximity_tui.config import load_settings, write_config
from tests.commandline import clean_env, json_lines, run_cli
from tests.reliability.conftest import make_services
from tests.reliability.world import app_rows, db_rows


def config_data(path: Path) -> dict:
    """A config file's sections as plain data, to write a variant of it."""
    import tomllib

    return tomllib.loads(path.read_text())


def run_all(runs: dict[str, tuple[tuple[str, ...], dict[str, str]]]) -> dict:
    """Run the commands, a few at a time (each is a Python process on a shared machine)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(run_cli, *args, env=env) for name, (args, env) in runs.items()}
        return {name: future.result() for name, future in futures.items()}


def one_line(result) -> str:
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr


def test_changed_certificate_or_host_key_is_refused_and_insecure_is_explicit(
    sim_process, sim, tmp_path
):
    """`sim_process` is the host the config pinned; `sim` (another simulator: other certificate,
    other host key) plays the same host after its keys changed."""
    old = config_data(sim_process.config)
    new = sim.info
    home = tmp_path / "home"  # no ~/.ssh/known_hosts of the machine's
    home.mkdir()

    def variant(name: str, proxmox: dict, ssh: dict | None = None) -> Path:
        path = tmp_path / f"{name}.toml"
        write_config(path, {"proxmox": {**old["proxmox"], **proxmox}, "ssh": ssh or old["ssh"]})
        return path

    new_ssh_nodes = {n: f"{new.host}:{p}" for n, p in new.ssh_ports.items()}
    configs = {
        # Same host name and credentials; the certificate is not the pinned one any more.
        "tls changed": variant("tls", {"port": new.api_port, "token_value": new.token_secret}),
        # No pin, no CA file, verification on: the simulator's self-signed certificate fails.
        "tls unpinned": variant("unpinned", {"fingerprint": None}),
        # Explicitly off: it connects (and says it is insecure).
        "tls off": variant("off", {"fingerprint": None, "verify_ssl": False}),
        # The API is the new host (trusted); its SSH host key is not the pinned one.
        "ssh changed": variant(
            "ssh",
            {"port": new.api_port, "token_value": new.token_secret, "fingerprint": new.fingerprint},
            {**old["ssh"], "nodes": new_ssh_nodes},
        ),
        # No pin and no known_hosts: an unknown host key is refused too, never accepted.
        "ssh unknown": variant(
            "ssh-unknown",
            {"port": new.api_port, "token_value": new.token_secret, "fingerprint": new.fingerprint},
            {**{k: v for k, v in old["ssh"].items() if k != "fingerprint"}, "nodes": new_ssh_nodes},
        ),
    }
    runs = {}
    for name, config in configs.items():
        env = clean_env(
            PROXIMITY_CONFIG=str(config), PROXIMITY_DATA_DIR=str(tmp_path / name), HOME=str(home)
        )
        host = "trust-" + name.split()[1]  # its own name: the two SSH cases run at once
        args = ("deploy", "whoami", "--hostname", host) if "ssh" in name else ("status",)
        runs[name] = (args, env)
    results = run_all(runs)

    old_tls, old_ssh = old["proxmox"]["fingerprint"], old["ssh"]["fingerprint"]
    tls = one_line(results["tls changed"])
    assert results["tls changed"].returncode != 0
    assert old_tls in tls and new.fingerprint in tls and "does not match" in tls, tls
    unpinned = one_line(results["tls unpinned"])
    assert results["tls unpinned"].returncode != 0
    assert "not trusted" in unpinned and sim_process.info.fingerprint in unpinned, unpinned
    assert results["tls off"].returncode == 0, results["tls off"].stderr
    # ... and says so, in one line on stderr (issue 15, point 10).
    [warning] = results["tls off"].stderr.splitlines()
    assert warning.startswith("proximity-tui: warning: TLS verification is off"), warning
    ssh = one_line(results["ssh changed"])
    assert results["ssh changed"].returncode == 1
    assert old_ssh in ssh and new.ssh_host_key_fingerprint in ssh and "does not match" in ssh, ssh
    unknown = one_line(results["ssh unknown"])
    assert results["ssh unknown"].returncode == 1
    assert "unknown SSH host key" in unknown and new.ssh_host_key_fingerprint in unknown, unknown
    # The refused deploys left nothing behind on the host they reached.
    names = {g.name for g in sim.call(lambda: list(sim.state.guests.values()))}
    assert not {"trust-changed", "trust-unknown"} & names
    for name in ("ssh changed", "ssh unknown"):
        assert app_rows(tmp_path / name / "proximity.db") == []


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # on purpose
def test_verification_off_is_explicit_and_shown(sim, tmp_path):
    config = tmp_path / "config.toml"
    write_config(config, sim.client_settings())
    data = config_data(config)
    data["proxmox"].pop("fingerprint")
    data["proxmox"]["verify_ssl"] = False
    write_config(config, data)
    services = make_services(sim, tmp_path)
    try:
        assert services.cluster is not None and services.cluster.insecure is True
        assert services.client.trust_mode == "insecure"
    finally:
        services.close(wait=5)
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    services = make_services(sim, pinned)
    try:
        assert services.cluster.insecure is False and services.client.trust_mode == "pinned"
    finally:
        services.close(wait=5)
    assert load_settings(pinned / "config.toml", env={}).proxmox.verify_ssl is True


def _apps_json(path: Path, *entries: tuple[str, int]) -> Path:
    path.write_text(
        json.dumps(
            [
                {
                    "id": f"whoami-{host}",
                    "catalog_id": "whoami",
                    "name": "whoami",
                    "hostname": host,
                    "status": "running",
                    "lxc_id": vmid,
                    "node": "pve1",
                    "environment": {"DB_PASSWORD": "hunter2-secret", "TZ": "UTC"},
                }
                for host, vmid in entries
            ]
        )
    )
    return path


def _files(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under `root` (mode, content), but SQLite's -wal/-shm that readers make."""
    return {
        str(p.relative_to(root)): (p.stat().st_mode & 0o777, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm")) and p.suffix != ".db"
    }


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed: connecting there is refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_read_only_and_viewers_change_nothing_through_the_command_line(sim_process, tmp_path):
    """Issue 8, point 8 and issue 15, points 2 and 3: every change the command line offers,
    in read-only mode (as the admin) and as a viewer (also claiming another name through
    LOGNAME/USER), is refused in one line and changes nothing: no row, no file, no backup.
    The refusal comes before any connection: the refused commands run with a config whose API
    and SSH ports nothing listens on (a command that connected first would say so instead)."""
    data = tmp_path / "data"
    env = sim_process.env(data)
    # An app to refuse changes to, recorded the cheap way (its CT need not exist: nothing may
    # get as far as looking for it).
    migrated = run_cli("migrate", str(_apps_json(tmp_path / "apps.json", ("roles", 990))), env=env)
    assert migrated.returncode == 0, migrated.stderr
    db = data / "proximity.db"
    more = _apps_json(tmp_path / "more.json", ("roles-more", 991))
    v1 = tmp_path / "v1"
    v1.mkdir()
    (v1 / "nginx.json").write_text(
        json.dumps({"id": "nginx", "name": "Nginx", "category": "Web", "docker_compose": {
            "services": {"nginx": {"image": "nginx:1.27", "ports": ["80:80"]}}}})
    )  # fmt: skip
    changes = [  # (the service-level test refuses every mutating call; these are the CLI's)
        ("deploy", "whoami", "--hostname", "roles-2"),
        ("delete", "roles", "--yes"),
        ("clone", "roles", "roles-copy"),
        ("start", "roles"),
        ("stop", "roles"),
        ("restart", "roles"),
        ("update", "roles"),
        ("backup", "roles"),
        ("restore", "roles", "local:backup/vzdump-lxc-990-2024_01_01-00_00_00.tar.zst"),
        ("destroy-orphan", "990", "--yes"),
        ("retry", "1"),
        ("adopt",),
        ("import", str(tmp_path / "export.yaml")),
        ("export", str(tmp_path / "secrets.yaml"), "--with-secrets"),
        ("migrate", str(more)),
        ("catalog", "import", str(v1)),
        ("users", "set-role", "mallory", "admin"),
    ]

    def snapshot() -> tuple:
        return (
            app_rows(db),
            db_rows(db, "SELECT id, kind, status FROM operations"),
            db_rows(db, "SELECT volid FROM backups"),
            db_rows(db, "SELECT username, role FROM users"),
            _files(tmp_path),  # backups of apps.json, the database, the user catalog
        )

    cut = config_data(sim_process.config)  # the same host on ports nothing listens on
    nodes = {node: f"127.0.0.1:{_closed_port()}" for node in cut["ssh"]["nodes"]}
    offline = write_config(
        tmp_path / "offline.toml",
        {
            "proxmox": {**cut["proxmox"], "port": _closed_port()},
            "ssh": {**cut["ssh"], "nodes": nodes},
        },
    )
    env = {**env, "PROXIMITY_CONFIG": str(offline)}
    before = snapshot()
    # Read-only mode is checked first, so it answers for itself whatever the role (here: admin).
    results = run_all({f"read-only {' '.join(c)}": (("--read-only", *c), env) for c in changes})
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE users SET role = 'viewer'")
    conn.close()
    before = before[:3] + (db_rows(db, "SELECT username, role FROM users"),) + before[4:]
    faked = {**env, "LOGNAME": "mallory", "USER": "mallory", "LNAME": "mallory"}
    results |= run_all({f"viewer {' '.join(c)}": (c, faked) for c in changes})
    for name, result in results.items():
        word = name.split()[0]
        assert result.returncode != 0, (name, result.stdout)
        line = one_line(result)
        assert word in line and ("not allowed" in line or "may not" in line), (name, line)
    assert snapshot() == before  # no app, operation, backup, user or file changed
    assert not (data / "catalog").exists()
    listed = run_cli("apps", "--json", env=faked)  # reading is still allowed
    assert listed.returncode == 0 and json_lines(listed.stdout)[0]["hostname"] == "roles"
    online = {**faked, "PROXIMITY_CONFIG": str(sim_process.config)}  # a dry run reads the tags
    dry = run_cli("--read-only", "migrate", str(more), "--dry-run", env=online)
    assert dry.returncode == 0 and "created" in dry.stdout  # a dry run writes nothing: allowed
    assert snapshot() == before


def test_recovery_in_a_session_that_may_not_change_things_only_reports(sim_process, tmp_path):
    """Issue 15, point 2: a deploy killed before it recorded its app leaves a CT and a
    `deploying` row. A read-only or viewer session reports it and undoes nothing; the next
    session that may change things destroys the CT and removes the row."""
    import subprocess
    import sys

    from tests.reliability.conftest import cluster_facts

    data = tmp_path / "data"
    env = sim_process.env(data)
    deployed = run_cli("deploy", "whoami", "--hostname", "orphan-op", env=env)
    assert deployed.returncode == 0, deployed.stderr
    db = data / "proximity.db"
    [(app_id, vmid, node)] = db_rows(db, "SELECT id, lxc_id, node FROM apps")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = {"vmid": vmid, "node": node, "reserved": True, "create_requested": True}
    conn = sqlite3.connect(db)
    with conn:  # what a deploy killed after its create step leaves behind
        conn.execute("UPDATE apps SET status = 'deploying'")
        conn.execute(
            "UPDATE operations SET status = 'running', step = 'start', pid = ?, finished_at = NULL,"
            " result = ?",
            (dead.pid, json.dumps({"state": state})),
        )
    conn.close()

    def snapshot() -> tuple:
        return (
            app_rows(db),
            db_rows(db, "SELECT id, kind, status FROM operations"),
            vmid in cluster_facts(sim_process.config),
        )

    before = snapshot()
    assert before[2] and before[1][0][2] == "running"
    for args, extra in (
        (("--read-only", "status"), {}),
        (("status",), {"LOGNAME": "mallory", "USER": "mallory"}),
    ):
        if extra:  # the real user becomes a viewer; the faked names change nothing
            conn = sqlite3.connect(db)
            with conn:
                conn.execute("UPDATE users SET role = 'viewer'")
            conn.close()
        result = run_cli(*args, env={**env, **extra})
        assert result.returncode == 0, result.stderr
        assert "interrupted at step start and is left as it is" in result.stderr, result.stderr
        assert snapshot() == before  # CT, row and operation untouched
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE users SET role = 'admin'")
    conn.close()
    result = run_cli("status", env=env)  # a session that may change things undoes it
    assert f"destroyed CT {vmid}" in result.stderr, result.stderr
    assert app_rows(db) == [] and vmid not in cluster_facts(sim_process.config)
    assert db_rows(db, "SELECT status FROM operations") == [("interrupted",)]
    _ = app_id
