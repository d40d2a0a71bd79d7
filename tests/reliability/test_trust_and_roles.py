"""Trust (issue 8, point 7) and roles (point 8) through the command line.

Trust: a TLS certificate or an SSH host key other than the pinned one is refused, in one line
showing both fingerprints; nothing connects unverified unless `verify_ssl = false` is set, and
then the client says it is insecure (the dashboard shows `services.cluster.insecure`).
Roles: `--read-only` and a viewer get a one-line refusal for every change, and nothing changes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from proximity_tui.config import load_settings, write_config
from tests.reliability.conftest import clean_env, make_services, run_cli
from tests.reliability.world import app_rows, db_rows


def config_data(path: Path) -> dict:
    """A config file's sections as plain data, to write a variant of it."""
    import tomllib

    return tomllib.loads(path.read_text())


def run_all(runs: dict[str, tuple[tuple[str, ...], dict[str, str]]]) -> dict:
    results = {}

    def run(name: str) -> None:
        args, env = runs[name]
        results[name] = run_cli(*args, env=env)

    threads = [threading.Thread(target=run, args=(name,)) for name in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


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
    assert "not trusted" in unpinned and sim_process.info["fingerprint"] in unpinned, unpinned
    assert results["tls off"].returncode == 0, results["tls off"].stderr
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


def test_read_only_and_viewers_change_nothing_through_the_command_line(sim_process, tmp_path):
    data = tmp_path / "data"
    env = sim_process.env(data)
    # An app to refuse changes to, recorded the cheap way (its CT need not exist: nothing may
    # get as far as looking for it).
    apps_json = tmp_path / "apps.json"
    apps_json.write_text(
        json.dumps(
            [
                {
                    "id": "whoami-roles",
                    "catalog_id": "whoami",
                    "name": "whoami",
                    "hostname": "roles",
                    "status": "running",
                    "lxc_id": 990,
                    "node": "pve1",
                }
            ]
        )
    )
    migrated = run_cli("migrate", str(apps_json), env=env)
    assert migrated.returncode == 0, migrated.stderr
    db = data / "proximity.db"
    changes = [  # (the service-level test refuses every mutating call; these are the CLI's)
        ("deploy", "whoami", "--hostname", "roles-2"),
        ("delete", "roles", "--yes"),
        ("clone", "roles", "roles-copy"),
    ]

    def snapshot() -> tuple:
        return (
            app_rows(db),
            db_rows(db, "SELECT id, kind, status FROM operations"),
            db_rows(db, "SELECT volid FROM backups"),
        )

    before = snapshot()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE users SET role = 'viewer'")
    conn.close()
    # Read-only mode is checked first, so it answers for itself whatever the role.
    results = run_all(
        {f"viewer {' '.join(c)}": (c, env) for c in changes}
        | {f"read-only {' '.join(c)}": (("--read-only", *c), env) for c in changes[:2]}
    )
    for name, result in results.items():
        word = name.split()[0]
        assert result.returncode != 0, name
        line = one_line(result)
        assert word in line and ("not allowed" in line or "may not" in line), (name, line)
    assert snapshot() == before  # no app, operation or backup changed
    listed = run_cli("apps", "--json", env=env)  # reading is still allowed
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["hostname"] == "roles"
