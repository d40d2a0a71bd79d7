"""`proximity-tui doctor` on each simulated host profile names exactly what is missing and how
to fix it: the installed command in a subprocess, against `proximity-tui sim --profile NAME` in
its own process (real HTTPS and SSH), the config as `sim --write-config` wrote it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from proximity_tui.config import write_config
from tests.commandline import CliSim, run_cli


def doctor(profile: str, tmp_path: Path, deploy: dict | None = None, *, data: Path | None = None):
    with CliSim(tmp_path, "--profile", profile, nodes=2) as sim:
        if deploy:
            settings = tomllib.loads(sim.config.read_text())
            settings["deploy"] = deploy
            write_config(sim.config, settings)
        res = run_cli("doctor", "--json", env=sim.env(data or tmp_path / "data"))
    report = json.loads(res.stdout)
    assert res.returncode == (0 if report["ok"] else 1), res.stderr
    return report, {c["name"]: c for c in report["checks"]}


def failing(report) -> set[str]:
    return {c["name"] for c in report["checks"] if c["status"] == "fail"}


def test_privsep_token_names_each_missing_privilege_with_its_grant(tmp_path):
    report, checks = doctor("privsep-token", tmp_path)
    assert failing(report) == {
        "permissions: role Proximity",
        "permissions: monitor",
        "permissions: deploy",
        "permissions: start/stop",
        "permissions: delete",
        "permissions: update",
        "permissions: clone",
        "permissions: backup",
        "permissions: restore",
        "permissions: migrate",
    }
    assert checks["auth"]["detail"] == "API token root@pam!proximity (with privilege separation)"
    monitor = checks["permissions: monitor"]
    assert monitor["detail"] == "missing VM.Audit on /vms; Sys.Audit on /nodes"
    assert monitor["fix"].splitlines() == [
        "pveum acl modify /vms --roles Proximity --tokens 'root@pam!proximity'",
        "pveum acl modify /nodes --roles Proximity --tokens 'root@pam!proximity'",
    ]
    deploy = checks["permissions: deploy"]["detail"]
    assert "Datastore.AllocateSpace on /storage/local-lvm" in deploy
    assert "SDN.Use on /sdn/zones/localnetwork/vmbr0" in deploy
    assert checks["permissions: role Proximity"]["fix"].startswith(
        "pveum role add Proximity --privs VM.Allocate,VM.Audit,"
    )
    # without Sys.Audit the package versions cannot be read: said, not guessed
    assert "needs Sys.Audit on /nodes/pve1" in checks["lxc-pve: pve1"]["detail"]


@pytest.mark.parametrize(
    ("profile", "storage", "kind"),
    [("dir-storage", "local", "dir"), ("nfs-storage", "nfs-ct", "nfs")],
)
def test_storage_without_snapshots_says_what_falls_back(tmp_path, profile, storage, kind):
    report, checks = doctor(profile, tmp_path, {"storage": storage})
    assert report["ok"]
    assert checks["storage: containers"]["status"] == "ok"
    snap = checks["snapshots"]
    assert snap["status"] == "warn"
    assert snap["detail"].startswith(f"{storage} ({kind}) cannot snapshot containers")
    assert "use a backup (vzdump) instead" in snap["detail"]


def test_storage_missing_from_the_config_falls_back_and_says_so(tmp_path):
    report, checks = doctor("dir-storage", tmp_path)  # the config keeps local-lvm
    check = checks["storage: containers"]
    assert check["status"] == "warn"
    assert "local-lvm is not visible on any node" in check["detail"]
    assert check["fix"] == 'set [deploy] storage = "local"'


@pytest.mark.parametrize(
    ("profile", "installed", "fixed"),
    [
        ("pve9,docker-runc-broken", "6.0.5-1", "6.0.5-2"),
        ("pve8,docker-runc-broken", "6.0.0-1", "6.0.0-2"),
    ],
)
def test_docker_runc_broken_names_the_lxc_pve_fix(tmp_path, profile, installed, fixed):
    report, checks = doctor(profile, tmp_path)
    assert failing(report) == {"lxc-pve: pve1", "lxc-pve: pve2"}
    check = checks["lxc-pve: pve1"]
    assert check["detail"].startswith(f"lxc-pve {installed} is older than {fixed}")
    assert "ip_unprivileged_port_start file: reopen fd 8: permission denied" in check["detail"]
    assert check["fix"].startswith(f"on pve1: apt update && apt install lxc-pve (>= {fixed}")


def test_deploy_on_docker_runc_broken_fails_early_with_the_doctors_cause(tmp_path):
    """Deploy asks the doctor's lxc-pve check before it creates anything: exit 1, the cause and
    the fix on stderr, nothing left (no app, no CT)."""
    with CliSim(tmp_path, "--profile", "docker-runc-broken", nodes=2) as sim:
        env = sim.env(tmp_path / "data")
        res = run_cli("deploy", "whoami", "--hostname", "rb1", env=env, timeout=120)
        assert res.returncode == 1, (res.stdout, res.stderr)
        err = res.stderr.strip()
        assert err.startswith("proximity-tui: error: place failed: Docker cannot start "), err
        assert "lxc-pve 6.0.5-1 is older than 6.0.5-2" in err
        assert "reopen fd 8: permission denied" in err
        assert "Fix: on pve1: apt update && apt install lxc-pve (>= 6.0.5-2" in err
        assert "[place] rolled back: nothing to clean up" in res.stdout
        listed = run_cli("apps", env=env)
        assert (listed.returncode, listed.stdout.strip()) == (0, "no apps")
        calls = sim.stats()["calls"]
        assert any(c.startswith("GET") and c.endswith("/apt/versions") for c in calls), calls
        assert not [c for c in calls if c.startswith("POST") and "/lxc" in c], calls


def test_pve7_is_degraded_and_has_no_docker_fix(tmp_path):
    report, checks = doctor("pve7", tmp_path)
    assert checks["version"]["status"] == "warn"
    assert "no /lxc/{vmid}/interfaces" in checks["version"]["detail"]
    assert failing(report) == {"lxc-pve: pve1", "lxc-pve: pve2"}
    assert "no fixed lxc-pve exists for this release" in checks["lxc-pve: pve1"]["detail"]
    # PVE 7 has no SDN.Use: the doctor does not ask for it
    assert not any("SDN" in c["detail"] for c in report["checks"])


def test_pve8_is_supported_and_ready(tmp_path):
    report, checks = doctor("pve8", tmp_path)
    assert report["ok"] and not failing(report)
    assert checks["version"]["detail"].startswith("PVE 8.")
    assert checks["lxc-pve: pve1"]["status"] == "ok"


def test_template_rotated_with_a_pinned_name(tmp_path):
    report, checks = doctor(
        "template-rotated", tmp_path, {"template": "alpine-3.22-default_20250617_amd64.tar.xz"}
    )
    assert "template" in failing(report)
    assert checks["template"]["fix"].startswith("remove [deploy] template")


def test_no_dhcp_on_the_last_deploy_is_named(tmp_path):
    from proximity_tui.services.journal import Journal
    from proximity_tui.store.db import Database

    data = tmp_path / "data"
    db = Database.open(data / "proximity.db")
    journal = Journal(db)
    op = journal.start("deploy", app_id="whoami-w1", hostname="w1", step="network")
    journal.finish(op, "failed", error="CT 105 got no IPv4 address within 60 s", step="network")
    db.close()
    report, checks = doctor("no-dhcp", tmp_path, data=data)
    assert failing(report) == {"dhcp"}
    assert "the last deploy (#1, w1" in checks["dhcp"]["detail"]
    assert "got no address on vmbr0: CT 105 got no IPv4 address" in checks["dhcp"]["detail"]
    assert 'network = "static"' in checks["dhcp"]["fix"]
