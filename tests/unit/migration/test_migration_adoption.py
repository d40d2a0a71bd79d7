"""Issue 15, points 4 and 9, in the migration itself: which containers an apps.json entry may
adopt (by the cluster's listing of them), and its secret-looking environment values marked secret
so that no role sees them. The same against the simulator, through the command line:
tests/integration/cli/test_migrate_adoption.py."""

import json

from proximity_tui.proxmox.models import Guest
from proximity_tui.screens.app_detail_info import settings_text
from proximity_tui.services.app_records import MASK, to_view
from proximity_tui.services.migration.adoption import Adoption
from proximity_tui.services.migration.apply import migrate_file
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import Database


def ct(vmid, name, tags=()):
    return Guest(vmid=vmid, name=name, node="opti2", type="lxc", status="running", tags=list(tags))


CLUSTER = [
    ct(101, "web1", ["proximity"]),  # ours
    ct(102, "web2", ["dns", "infra"]),  # someone else's, same hostname as the entry
    ct(103, "mail"),  # the entry says web3: another CT altogether
    Guest(vmid=105, name="web5", node="opti2", type="qemu", status="running"),  # a VM
]


def test_only_tagged_containers_are_adopted(entry, write_apps, db_path, rows):
    source = write_apps([entry(n) for n in (1, 2, 3, 4, 5)])
    report = migrate_file(db_path, source, username="alice", adoption=Adoption.of(CLUSTER))
    outcome = {e.id: (e.outcome, e.reason) for e in report.entries}
    assert outcome["nginx-web1"] == ("created", None)
    assert outcome["nginx-web2"][0] == "skipped"
    assert "CT 102 is not tagged 'proximity'" in outcome["nginx-web2"][1]
    assert "--adopt-untagged" in outcome["nginx-web2"][1]
    assert outcome["nginx-web3"] == (
        "skipped",
        "conflict: CT 103 is named 'mail', not 'web3': not adopted",
    )
    # Nothing there to adopt (a VM is not a CT): the app is listed, the monitor says missing.
    assert outcome["nginx-web4"] == ("created", "no CT 104 on the cluster: listed as missing")
    assert outcome["nginx-web5"][0] == "created"
    assert set(rows(db_path)) == {"nginx-web1", "nginx-web4", "nginx-web5"}
    assert report.exit_code == 1

    # Said explicitly, the untagged CT is adopted (and the report says so); another name never.
    again = migrate_file(
        db_path, source, username="alice", adoption=Adoption.of(CLUSTER, adopt_untagged=True)
    )
    outcome = {e.id: (e.outcome, e.reason) for e in again.entries}
    assert outcome["nginx-web2"] == ("created", "CT 102 is untagged: adopted (--adopt-untagged)")
    assert outcome["nginx-web3"][0] == "skipped"
    assert outcome["nginx-web1"] == ("unchanged", None)
    assert set(rows(db_path)) == {"nginx-web1", "nginx-web2", "nginx-web4", "nginx-web5"}

    # A rerun without the flag leaves what is already adopted alone (nothing changed in it).
    third = migrate_file(db_path, source, username="alice", adoption=Adoption.of(CLUSTER))
    assert {e.id: e.outcome for e in third.entries}["nginx-web2"] == "unchanged"


def test_an_entry_moved_to_an_untagged_ct_is_checked_again(entry, write_apps, db_path, rows):
    migrate_file(db_path, write_apps([entry(1)]), adoption=Adoption.of(CLUSTER))
    moved = write_apps([entry(1, lxc_id=102, hostname="web2")], name="moved.json")
    report = migrate_file(db_path, moved, adoption=Adoption.of(CLUSTER))
    assert report.entries[0].outcome == "skipped" and "CT 102" in report.entries[0].reason
    assert rows(db_path)["nginx-web1"]["lxc_id"] == 101  # unchanged


def test_without_asking_proxmox_nothing_is_adopted_unless_said(entry, write_apps, db_path):
    source = write_apps([entry(1)])
    report = migrate_file(db_path, source, dry_run=True)
    assert report.entries[0].outcome == "skipped"
    assert "tags were not checked" in report.entries[0].reason
    said = migrate_file(db_path, source, dry_run=True, adoption=Adoption(adopt_untagged=True))
    assert said.entries[0].outcome == "created"
    assert "Containers not checked" in "\n".join(said.summary_lines())
    assert said.as_dict()["containers_checked"] is False


def test_migrated_secrets_are_marked_and_hidden(entry, write_apps, db_path, rows):
    env = {"DB_PASSWORD": "hunter2-secret", "JWT_SECRET": "jwt-value-1", "TZ": "UTC"}
    config = {"secret_names": ["TZ"]}  # a name the file already marked stays marked
    source = write_apps([entry(1, environment=env), entry(4, environment=env, config=config)])
    migrate_file(db_path, source, username="alice", adoption=Adoption.of(CLUSTER))
    stored = rows(db_path)
    assert json.loads(stored["nginx-web1"]["config"])["secret_names"] == [
        "DB_PASSWORD",
        "JWT_SECRET",
    ]
    assert json.loads(stored["nginx-web4"]["config"])["secret_names"] == [
        "TZ",
        "DB_PASSWORD",
        "JWT_SECRET",
    ]
    with Database.open(db_path) as db, db.session(readonly=True) as s:
        view = to_view(repo.get_app(s, "nginx-web1"))
    assert view.environment == {"DB_PASSWORD": MASK, "JWT_SECRET": MASK, "TZ": "UTC"}
    shown = settings_text(view).plain  # the Settings tab, for any role
    assert "hunter2-secret" not in shown and "jwt-value-1" not in shown
    assert "DB_PASSWORD=" + MASK in shown
    # A rerun finds nothing to change (the marks are part of the migrated row).
    again = migrate_file(db_path, source, username="alice", adoption=Adoption.of(CLUSTER))
    assert {e.outcome for e in again.entries} == {"unchanged"}
