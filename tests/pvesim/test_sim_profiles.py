"""Host profiles: chosen by name, combinable, reported by `GET /version` and
`GET /nodes/{node}/apt/versions`; root's effective permissions (`GET /access/permissions`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from proxmoxer.core import ResourceException
from sim_helpers import px_password, px_token

from pvesim.acl import VALID_PRIVS
from pvesim.server import Simulator


def _lxc_pve(px, node: str = "pve1") -> dict:
    return next(p for p in px.nodes(node).apt.versions.get() if p["Package"] == "lxc-pve")


@pytest.mark.parametrize(
    ("names", "error"),
    [
        (["pve7", "pve8"], "exclude each other"),
        (["dir-storage", "nfs-storage"], "exclude each other"),
        (["pve10"], "unknown profile 'pve10'"),
    ],
)
def test_bad_profiles_are_refused_before_anything_starts(names, error):
    with pytest.raises(ValueError, match=error):
        Simulator(time_scale=0, profiles=names)


def test_default_is_pve9_with_the_fixed_lxc_pve(info):
    px = px_token(info)
    assert px.version.get() == {"version": "9.1.1", "release": "9.1", "repoid": "42db4a6cf33dac83"}
    lxc = _lxc_pve(px)
    assert (lxc["OldVersion"], lxc["Version"], lxc["CurrentState"]) == (
        "6.0.5-3",
        "6.0.5-3",
        "Installed",
    )
    names = [p["Package"] for p in px.nodes("pve1").apt.versions.get()]
    assert names[:3] == ["proxmox-ve", "pve-manager", "proxmox-kernel-6.17.2-1-pve-signed"]
    assert {"pve-container", "lxcfs"} <= set(names)


def test_root_has_every_privilege_everywhere(info):
    px = px_password(info)
    perms = px.access.permissions.get()
    assert set(perms["/"]) == set(VALID_PRIVS) and set(perms["/"].values()) == {1}
    assert {"/", "/vms", "/storage", "/nodes", "/sdn", "/access", "/pool"} <= set(perms)
    one = px.access.permissions.get(path="/vms/100")
    assert list(one) == ["/vms/100"] and "VM.PowerMgmt" in one["/vms/100"]
    # the default token is not privilege-separated: root's power
    assert px_token(info).access.permissions.get(path="/")["/"] == perms["/"]


def test_pve8_with_old_lxc_pve():
    with Simulator(time_scale=0, profiles=["pve8", "docker-runc-broken"]) as sim:
        px = px_token(sim.info)
        assert px.version.get()["version"] == "8.4.1"
        lxc = _lxc_pve(px, "pve2")
        # installed the build before the fix; the fixed one is the candidate
        assert (lxc["OldVersion"], lxc["Version"]) == ("6.0.0-1", "6.0.0-2")
        listing = px.nodes("pve2").apt.versions.get()
        manager = next(p for p in listing if p["Package"] == "pve-manager")
        assert manager["ManagerVersion"] == "pve-manager/8.4.1/2a5fa54a8503f96d"
        assert sim.info.extra["profiles"] == ["pve8", "docker-runc-broken"]


def test_pve7_has_no_interfaces_endpoint():
    with Simulator(time_scale=0, profiles="pve7") as sim:
        px = px_token(sim.info)
        assert px.version.get()["version"] == "7.4-4"
        assert _lxc_pve(px)["OldVersion"] == "5.0.2-2"
        # before pve-container 5.0.11 the container index gave vmid as a string
        assert {c["vmid"] for c in px.nodes("pve1").lxc.get()} == {"102"}
        assert px.nodes("pve1").lxc(102).status.current.get()["vmid"] == "102"
        with pytest.raises(ResourceException) as exc:
            px.nodes("pve1").lxc(102).interfaces.get()
        assert exc.value.status_code == 501
        assert "Method 'GET /nodes/pve1/lxc/102/interfaces' not implemented" in str(exc.value)


def test_cli_refuses_unknown_and_misplaced_profiles():
    run = [sys.executable, "-m", "proximity_tui"]
    bad = subprocess.run([*run, "sim", "--profile", "pve9,bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown profile 'bogus'" in bad.stderr
    both = subprocess.run(
        [*run, "sim", "--profile", "pve7", "--profile", "pve8"], capture_output=True, text=True
    )
    assert both.returncode == 2 and "exclude each other" in both.stderr
    alone = subprocess.run([*run, "--profile", "pve8", "catalog"], capture_output=True, text=True)
    assert alone.returncode == 2
    assert "--profile applies to --demo and the sim command" in alone.stderr


def test_demo_runs_the_profiles_in_its_own_directory(tmp_path):
    env = {**os.environ, "PROXIMITY_DATA_DIR": str(tmp_path), "PROXIMITY_DEMO_TIME_SCALE": "0"}
    run = [sys.executable, "-m", "proximity_tui", "--demo", "--profile", "pve8,no-dhcp"]
    done = subprocess.run([*run, "doctor", "--json"], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    report = json.loads(done.stdout)
    version = next(c for c in report["checks"] if c["name"] == "version")
    assert "PVE 8.4.1" in version["detail"]
    assert (tmp_path / "demo" / "profile-pve8+no-dhcp" / "sim-state.json").exists()
    assert not (tmp_path / "demo" / "sim-state.json").exists()
