"""The apps.json import as a whole: reference file, idempotency, conflicts, backups, dry runs,
unusable inputs, owners, the journal, a failing write, and 10,000 entries."""

import json
import re
import sqlite3
import stat

import pytest

from proximity_tui.errors import PermissionDenied, ValidationError
from proximity_tui.services.journal import Journal
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import Database
from tests.unit.migration.offline import migrate_file


def snapshot(directory):
    """Every file under a directory with its bytes: what "nothing changed" is checked against."""
    return {p.name: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_the_reference_file(reference_apps, tmp_path, db_path, rows):
    source = tmp_path / "apps.json"
    source.write_bytes(reference_apps.read_bytes())
    expected = json.loads(source.read_text())["apps"]

    report = migrate_file(db_path, source, username="alice")
    assert report.exit_code == 0
    assert report.counts()["created"] == len(expected)
    stored = rows(db_path)
    for app in expected:
        row = stored[app["id"]]
        for key in ("catalog_id", "name", "hostname", "status", "url", "lxc_id", "node"):
            assert row[key] == app[key]
        for key in ("config", "ports", "volumes", "environment"):
            assert json.loads(row[key]) == app[key]
        assert row["created_at"] == app["created_at"]
    assert report.database_backup is None  # the database was new: nothing to back up
    assert report.source_backup.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(report.source_backup.stat().st_mode) == 0o600

    again = migrate_file(db_path, source, username="alice")
    assert again.counts()["unchanged"] == len(expected) and again.exit_code == 0
    assert rows(db_path) == stored
    assert again.database_backup is None  # nothing to write, nothing to back up

    changed = [{**app, "status": "stopped"} for app in expected]
    source.write_text(json.dumps({"apps": changed}))
    third = migrate_file(db_path, source, username="alice")
    assert third.counts()["updated"] == len(expected)
    assert third.database_backup.name.startswith("proximity.db.pre-migration-")
    assert stat.S_IMODE(third.database_backup.stat().st_mode) == 0o600
    backed_up = sqlite3.connect(third.database_backup)  # the state before this run
    assert backed_up.execute("SELECT DISTINCT status FROM apps").fetchall() == [("running",)]
    backed_up.close()
    assert {r["status"] for r in rows(db_path).values()} == {"stopped"}


def test_a_rerun_changes_nothing_and_a_change_is_an_update(entry, write_apps, db_path, rows):
    entries = [entry(i) for i in range(1, 6)] + [entry(6, created_at=None, updated_at=None)]
    source = write_apps(entries)
    assert migrate_file(db_path, source).counts()["created"] == 6
    first = rows(db_path)

    rerun = migrate_file(db_path, source)
    assert rerun.counts() == {"total": 6, "created": 0, "updated": 0, "unchanged": 6,
                              "skipped": 0, "errors": 0}  # fmt: skip
    assert rows(db_path) == first  # missing timestamps kept, not reset to now

    entries[0]["status"] = "stopped"
    entries[1]["environment"] = {"TZ": "Europe/Rome"}
    entries[2]["hostname"] = "renamed"
    report = migrate_file(db_path, write_apps(entries))
    assert [e.outcome for e in report.entries] == ["updated"] * 3 + ["unchanged"] * 3
    now = rows(db_path)
    assert now["nginx-web1"]["status"] == "stopped"
    assert json.loads(now["nginx-web2"]["environment"]) == {"TZ": "Europe/Rome"}
    assert now["nginx-web3"]["hostname"] == "renamed"
    assert now["nginx-web6"] == first["nginx-web6"]


def test_conflicts_and_duplicates_are_skipped(entry, write_apps, db_path, rows):
    migrate_file(db_path, write_apps([entry(1), entry(2)], name="first.json"))
    report = migrate_file(
        db_path,
        write_apps(
            [
                entry(3, hostname="web1"),  # owned by nginx-web1 in the database
                entry(4, lxc_id=102),  # owned by nginx-web2
                entry(5),
                entry(6, hostname="web5"),  # taken earlier in this file
                entry(7, lxc_id=105),
                entry(5, name="again"),  # duplicate id
            ]
        ),
    )
    outcomes = [(e.outcome, e.reason) for e in report.entries]
    assert outcomes[2] == ("created", None)
    assert outcomes[0] == ("skipped", "conflict: hostname 'web1' belongs to app 'nginx-web1'")
    assert outcomes[1] == ("skipped", "conflict: lxc_id 102 belongs to app 'nginx-web2'")
    assert outcomes[3] == ("skipped", "conflict: hostname 'web5' belongs to app 'nginx-web5'")
    assert outcomes[4] == ("skipped", "conflict: lxc_id 105 belongs to app 'nginx-web5'")
    assert outcomes[5] == ("skipped", "duplicate id (entry #3 has it)")
    assert report.exit_code == 1
    assert sorted(rows(db_path)) == ["nginx-web1", "nginx-web2", "nginx-web5"]
    assert rows(db_path)["nginx-web5"]["name"] == "Nginx"


def test_a_name_freed_by_an_update_can_be_taken_later_in_the_file(entry, write_apps, db_path, rows):
    migrate_file(db_path, write_apps([entry(1)], name="first.json"))
    report = migrate_file(
        db_path,
        write_apps([entry(1, hostname="moved", lxc_id=150), entry(2, hostname="web1", lxc_id=101)]),
    )
    assert [e.outcome for e in report.entries] == ["updated", "created"]
    stored = rows(db_path)
    assert (stored["nginx-web1"]["hostname"], stored["nginx-web2"]["hostname"]) == ("moved", "web1")
    assert (stored["nginx-web1"]["lxc_id"], stored["nginx-web2"]["lxc_id"]) == (150, 101)


@pytest.mark.parametrize("db_exists", [False, True])
def test_a_dry_run_changes_no_file(entry, write_apps, db_path, tmp_path, db_exists):
    if db_exists:
        migrate_file(db_path, write_apps([entry(1)], name="first.json"))
    source = write_apps([entry(1, status="stopped"), entry(2), entry(3, hostname="bad_")])
    before = snapshot(tmp_path)

    report = migrate_file(db_path, source, dry_run=True)

    assert snapshot(tmp_path) == before
    expected = ["updated", "created", "skipped"] if db_exists else ["created", "created", "skipped"]
    assert [e.outcome for e in report.entries] == expected
    assert report.database_backup is None and report.source_backup is None
    assert report.exit_code == 1
    real = migrate_file(db_path, source)  # what the dry run announced is what happens
    assert [e.outcome for e in real.entries] == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        (b"", "not JSON"),
        (b"apps: []", "not JSON"),
        (b'{"apps": [}', "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b'{"apps": [{"id": "x", "config": {"v": NaN}}]}', "NaN is not a JSON number"),
        (b'[{"n": 1e999}]', "out of range"),
        (b"[" * 100_000 + b"]" * 100_000, "not"),
        (b'{"things": []}', 'wrong shape: expected {"apps": [...]} or a list'),
        (b'{"apps": {"id": "x"}}', 'wrong shape: "apps" is an object, not a list'),
        (b'"apps"', "wrong shape"),
        (b"42", "wrong shape"),
    ],
)
def test_unusable_input_changes_nothing_and_exits_2(entry, write_apps, db_path, tmp_path,
                                                    content, message):  # fmt: skip
    migrate_file(db_path, write_apps([entry(1)], name="first.json"))
    source = tmp_path / "apps.json"
    if content is not None:
        source.write_bytes(content)
    before = snapshot(tmp_path)
    with pytest.raises(ValidationError, match=re.escape(message)) as err:
        migrate_file(db_path, source)
    assert err.value.exit_code == 2
    assert str(source) in str(err.value)
    assert snapshot(tmp_path) == before  # the database byte-identical, no backup made


def test_owner_is_the_first_admin_and_the_run_is_journaled(entry, write_apps, db_path):
    with Database.open(db_path) as db, db.session() as s:
        repo.get_or_create_user(s, "alice")  # the first admin
        repo.get_or_create_user(s, "bob", default_role="operator")
    report = migrate_file(db_path, write_apps([entry(1), entry(2, hostname="x_")]), username="bob")
    with Database.open(db_path) as db:
        with db.session(readonly=True) as s:
            assert repo.get_app(s, "nginx-web1").owner.username == "alice"
            assert repo.get_user_by_username(s, "bob").role == "operator"  # the actor
        op = Journal(db).get(report.operation_id)
    assert (op.kind, op.status, op.username) == ("migrate", "succeeded", "bob")
    assert op.result["created"] == 1 and op.result["skipped"] == 1
    assert op.result["database_backup"] == str(report.database_backup)
    assert any("x_" in e.message and e.level == "warning" for e in op.events)


def test_with_no_user_the_os_user_becomes_admin_and_owner(entry, write_apps, db_path):
    migrate_file(db_path, write_apps([entry(1)]), username="carol")
    with Database.open(db_path) as db, db.session(readonly=True) as s:
        owner = repo.get_app(s, "nginx-web1").owner
        assert (owner.username, owner.role) == ("carol", "admin")


def test_a_viewer_may_not_migrate(entry, write_apps, db_path, tmp_path):
    with Database.open(db_path) as db, db.session() as s:
        repo.get_or_create_user(s, "alice")
        repo.get_or_create_user(s, "victor", default_role="viewer")
    before = snapshot(tmp_path)
    with pytest.raises(PermissionDenied, match="victor is a viewer"):
        migrate_file(db_path, write_apps([entry(1)]), username="victor")
    after = snapshot(tmp_path)
    assert after.pop("apps.json") and after == before


def test_a_failing_write_leaves_the_database_as_it_was(entry, write_apps, db_path, rows):
    migrate_file(db_path, write_apps([entry(1)], name="first.json"))
    conn = sqlite3.connect(db_path)  # a real SQLite failure in the middle of the bulk insert
    conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON apps WHEN NEW.hostname = 'web3' "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    conn.commit()
    conn.close()
    before = rows(db_path)

    report = migrate_file(db_path, write_apps([entry(1, status="stopped"), entry(2), entry(3)]))

    assert rows(db_path) == before
    assert report.counts()["errors"] == 3 and report.counts()["created"] == 0
    assert "disk on fire" in report.error and report.exit_code == 1
    assert report.source_backup is None
    assert not (db_path.parent.parent / "apps.json.backup").exists()
    with Database.open(db_path) as db:
        failed = Journal(db).get(report.operation_id)
    assert failed.status == "failed" and "disk on fire" in failed.error


def test_ten_thousand_entries(entry, write_apps, db_path, tmp_path):
    nodes = ["pve1", "pve2", "pve3"]
    entries = [
        entry(i, lxc_id=1000 + i, node=nodes[i % 3], status="stopped" if i % 7 else "running")
        for i in range(10_000)
    ]
    source = write_apps(entries, wrap=False)  # the bare-list form
    report = migrate_file(db_path, source)
    assert report.counts()["created"] == 10_000 and report.exit_code == 0
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*), count(DISTINCT hostname) FROM apps").fetchone() == (
        10_000,
        10_000,
    )
    assert conn.execute("SELECT count(*) FROM apps WHERE status = 'running'").fetchone() == (
        sum(1 for i in range(10_000) if i % 7 == 0),
    )
    assert conn.execute("SELECT lxc_id, node FROM apps WHERE id = 'nginx-web9999'").fetchone() == (
        10_999,
        "pve1",  # 9999 % 3 == 0
    )
    conn.close()
    again = migrate_file(db_path, source)
    assert again.counts()["unchanged"] == 10_000
