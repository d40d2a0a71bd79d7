"""The doctor's pure parts: version order, the lxc-pve fix table, privileges and pveum lines."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ValidationError
from proximity_tui.services.doctor.model import Check, Report
from proximity_tui.services.doctor.privileges import needs, pveum_acl, role_privileges
from proximity_tui.services.doctor.versions import lxc_pve_fixed, major_of, version_lt
from proximity_tui.services.setup import SetupNames


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("6.0.5-1", "6.0.5-2"),
        ("6.0.0-1", "6.0.0-2"),
        ("6.0.5-2", "6.0.10-1"),
        ("5.0.2-4", "6.0.0-2"),
        ("6.0.5~rc1-1", "6.0.5-1"),
    ],
)
def test_version_order(a, b):
    assert version_lt(a, b)
    assert not version_lt(b, a)


def test_equal_versions_are_not_less():
    assert not version_lt("6.0.5-2", "6.0.5-2")


@pytest.mark.parametrize(
    ("major", "installed", "expected"),
    [
        (9, "6.0.5-1", (False, "6.0.5-2")),
        (9, "6.0.5-2", (True, "6.0.5-2")),
        (9, "6.0.5-3", (True, "6.0.5-2")),
        (8, "6.0.0-1", (False, "6.0.0-2")),
        (8, "6.0.0-2", (True, "6.0.0-2")),
        (7, "5.0.2-2", (None, None)),
    ],
)
def test_lxc_pve_fix_table(major, installed, expected):
    assert lxc_pve_fixed(major, installed) == expected


def test_major_of():
    assert major_of("9.1.1") == 9
    assert major_of("") is None


def test_role_has_sdn_use_only_from_pve8():
    assert "SDN.Use" in role_privileges(9)
    assert "SDN.Use" not in role_privileges(7)
    # nothing administrative: the product never needs these
    for priv in ("Sys.Modify", "Permissions.Modify", "Datastore.Allocate", "User.Modify"):
        assert priv not in role_privileges(9)


def test_needs_name_the_pool_or_vms():
    with_pool = needs(
        pool="px", rootdir_storage="s", template_storage="t", backup_storage="b",
        bridge="vmbr0", pve_major=9,
    )  # fmt: skip
    paths = {n.path for n in with_pool}
    assert {"/pool/px", "/storage/s", "/storage/t", "/storage/b", "/nodes"} <= paths
    assert "/sdn/zones/localnetwork/vmbr0" in paths
    assert "/vms" not in paths
    no_pool = needs(
        pool=None, rootdir_storage="s", template_storage="t", backup_storage=None,
        bridge="vmbr1", pve_major=7,
    )  # fmt: skip
    assert "/vms" in {n.path for n in no_pool}
    assert not any(n.path.startswith("/sdn") for n in no_pool)


def test_pveum_acl_quotes_the_token_and_grants_both_user_and_token():
    line = pveum_acl("/pool/px", "Proximity", "bot@pve", "t1")
    assert line == (
        "pveum acl modify /pool/px --roles Proximity --users bot@pve --tokens 'bot@pve!t1'"
    )
    assert pveum_acl("/nodes", "R", "bot@pve", None).endswith("--users bot@pve")


def test_report_is_ok_with_warnings_only():
    report = Report()
    report.add("a", "ok", "fine")
    report.add("b", "warn", "hmm")
    assert report.ok
    report.add("c", "fail", "broken", "do x")
    assert not report.ok
    assert report.as_dict()["failures"] == 1
    with pytest.raises(ValueError):
        Check("x", "bad", "y")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user", "nobody"),
        ("user", "x@pam"),
        ("user", "a b@pve"),
        ("token", "1abc"),
        ("token", "a!b"),
        ("pool", "a/b"),
        ("role", "r o"),
    ],
)
def test_setup_names_refuse_bad_input(field, value):
    with pytest.raises(ValidationError):
        SetupNames(**{field: value}).validate()


def test_each_operation_that_writes_the_description_needs_config_options():
    """Update, restore and migrate PUT the identity block into `description`: Proxmox checks
    VM.Config.Options for it (pve-container check_ct_modify_config_perm); delete destroys the
    CT (VM.Allocate); the clone sets net0 on the copy (VM.Config.Network)."""
    table = needs(
        pool="px", rootdir_storage="s", template_storage="t", backup_storage="b",
        bridge="vmbr0", pve_major=9,
    )  # fmt: skip
    privs: dict[str, set[str]] = {}
    for need in table:
        if need.path == "/pool/px":
            privs.setdefault(need.feature, set()).update(need.privs)
    for feature in ("deploy", "update", "restore", "migrate"):
        assert "VM.Config.Options" in privs[feature], feature
    assert "VM.Config.Options" not in privs["backup"] | privs["start/stop"]
    assert {"VM.Allocate", "VM.PowerMgmt"} <= privs["delete"]
    assert "VM.Config.Network" in privs["clone"]
    assert {"VM.Backup", "VM.PowerMgmt"} <= privs["restore"]
    # Every privilege a feature needs is one the role setup creates holds.
    role = set(role_privileges(9))
    assert set().union(*privs.values()) <= role
