"""Constraints of the schema and the repository functions, on real SQLite files."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text

from proximity_tui.errors import ConflictError, NotFoundError
from proximity_tui.store import repositories as repo
from proximity_tui.store.models import Operation, User


def count(db, table):
    with db.session(readonly=True) as s:
        return s.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - test literals


@pytest.mark.parametrize(
    ("over", "column"),
    [({"hostname": "web1"}, "apps.hostname"), ({"lxc_id": 101}, "apps.lxc_id")],
)
def test_hostname_and_lxc_id_are_unique(db, over, column, app_fields):
    with db.session() as s:
        repo.add_app(s, **app_fields(1))
    with pytest.raises(ConflictError, match=column), db.session() as s:
        repo.add_app(s, **app_fields(2, **over))
    assert count(db, "apps") == 1


def test_events_go_with_their_operation_and_operations_outlive_apps(db, app_fields):
    with db.session() as s:
        repo.add_app(s, **app_fields(1))
        op = repo.create_operation(s, "deploy", app_id="nginx-web1", hostname="web1")
        repo.add_operation_events(s, op.id, [{"step": "a", "message": "x"}] * 3)
        op_id = op.id
    with db.session() as s:
        assert repo.delete_app(s, "nginx-web1") is True
    with db.session(readonly=True) as s:
        assert repo.get_operation(s, op_id).app_id == "nginx-web1"  # no FK: the record stays
    assert count(db, "operation_events") == 3
    with db.session() as s:  # a plain SQL delete: the cascade is the database's, not the ORM's
        s.execute(delete(Operation).where(Operation.id == op_id))
    assert count(db, "operation_events") == 0


def test_backups_go_with_their_app_and_volids_are_unique(db, app_fields):
    with db.session() as s:
        repo.add_app(s, **app_fields(1))
        repo.add_backup(s, app_id="nginx-web1", volid="local:backup/a", storage="local",
                        node="pve1", vmid=101, size=10)  # fmt: skip
    with pytest.raises(ConflictError, match="backups.volid"), db.session() as s:
        repo.add_backup(s, app_id="nginx-web1", volid="local:backup/a", storage="local",
                        node="pve1", vmid=101)  # fmt: skip
    with db.session() as s:
        repo.delete_app(s, "nginx-web1")
    assert count(db, "backups") == 0


def test_foreign_keys_are_enforced(db):
    with pytest.raises(ConflictError, match="FOREIGN KEY"), db.session() as s:
        repo.add_backup(s, app_id="nope", volid="v", storage="local", node="pve1", vmid=100)


def test_check_constraints_on_role_and_status(db):
    with pytest.raises(ConflictError, match="CHECK"), db.session() as s:
        s.add(User(username="x", role="root"))
        s.flush()
    with pytest.raises(ConflictError, match="CHECK"), db.session() as s:
        repo.create_operation(s, "deploy", status="done")


def test_times_are_aware_utc(db, app_fields):
    local = datetime(2025, 10, 4, 2, 33, 41, 918809, tzinfo=timezone_plus(2))
    with db.session() as s:
        repo.add_app(s, **app_fields(1, created_at=local))
    with db.session(readonly=True) as s:
        app = repo.get_app(s, "nginx-web1")
        assert app.created_at == local and app.created_at.tzinfo is UTC
        assert app.created_at.hour == 0
        assert app.updated_at.tzinfo is UTC
        stored = s.scalar(text("SELECT created_at FROM apps"))
    assert stored == "2025-10-04 00:33:41.918809"


def timezone_plus(hours):
    from datetime import timezone

    return timezone(timedelta(hours=hours))


def test_app_lookups_filters_and_taken_checks(db, app_fields):
    with db.session() as s:
        repo.add_app(s, **app_fields(1))
        repo.add_app(s, **app_fields(2, status="stopped", node="pve2"))
        repo.add_app(s, **app_fields(3, status="error"))
    with db.session(readonly=True) as s:
        assert repo.get_app_by_hostname(s, "web2").id == "nginx-web2"
        assert repo.get_app_by_lxc_id(s, 103).id == "nginx-web3"
        assert repo.get_app(s, "nope") is None
        assert [a.hostname for a in repo.list_apps(s)] == ["web1", "web2", "web3"]
        assert [a.hostname for a in repo.list_apps(s, status="stopped")] == ["web2"]
        assert [a.hostname for a in repo.list_apps(s, status=["error", "running"])] == [
            "web1",
            "web3",
        ]
        assert [a.hostname for a in repo.list_apps(s, node="pve2")] == ["web2"]
        assert repo.hostname_taken(s, "web1")
        assert not repo.hostname_taken(s, "web1", exclude_app_id="nginx-web1")
        assert not repo.hostname_taken(s, "web9")
        assert repo.vmid_taken(s, 102) and not repo.vmid_taken(s, 109)


def test_set_app_status_keeps_the_reason_in_config(db, app_fields):
    with db.session() as s:
        repo.add_app(s, **app_fields(1, config={"cores": 2}))
    with db.session() as s:
        repo.set_app_status(s, "nginx-web1", "error", reason="pct destroy failed")
    with db.session() as s:
        assert repo.get_app(s, "nginx-web1").config == {
            "cores": 2,
            "status_reason": "pct destroy failed",
        }
        repo.set_app_status(s, "nginx-web1", "running")
    with db.session(readonly=True) as s:
        app = repo.get_app(s, "nginx-web1")
        assert (app.status, app.config) == ("running", {"cores": 2})
    with pytest.raises(NotFoundError), db.session() as s:
        repo.set_app_status(s, "nope", "running")


def test_first_user_is_admin_then_viewers(db):
    with db.session() as s:
        alice = repo.get_or_create_user(s, "alice")
        bob = repo.get_or_create_user(s, "bob")
        again = repo.get_or_create_user(s, "alice")
    assert (alice.role, bob.role, again.id) == ("admin", "viewer", alice.id)
    with db.session(readonly=True) as s:
        assert repo.first_admin(s).username == "alice"
        assert [u.username for u in repo.list_users(s)] == ["alice", "bob"]


def test_owner_is_cleared_when_the_user_goes(db, app_fields):
    with db.session() as s:
        user = repo.get_or_create_user(s, "alice")
        repo.add_app(s, **app_fields(1, owner_id=user.id))
    with db.session() as s:
        s.execute(delete(User))
    with db.session(readonly=True) as s:
        assert repo.get_app(s, "nginx-web1").owner_id is None


def test_operations_newest_first_with_filters_and_events_in_order(db):
    with db.session() as s:
        ids = [
            repo.create_operation(s, kind, app_id=app).id
            for kind, app in [("deploy", "a"), ("stop", "a"), ("deploy", "b"), ("start", "b")]
        ]
        repo.add_operation_events(
            s, ids[0], [{"step": f"s{i}", "message": str(i)} for i in range(5)]
        )
        repo.finish_operation(s, ids[1], "failed", error="boom", step="stop")
    with db.session(readonly=True) as s:
        assert [o.id for o in repo.list_operations(s)] == ids[::-1]
        assert [o.id for o in repo.list_operations(s, limit=2)] == ids[:1:-1]
        assert [o.id for o in repo.list_operations(s, kind="deploy")] == [ids[2], ids[0]]
        assert [o.id for o in repo.list_operations(s, app_id="a")] == [ids[1], ids[0]]
        assert [o.id for o in repo.list_operations(s, status="failed")] == [ids[1]]
        assert [o.id for o in repo.list_operations(s, before_id=ids[2])] == [ids[1], ids[0]]
        op = repo.get_operation(s, ids[0])
        assert [e.message for e in op.events] == ["0", "1", "2", "3", "4"]
        first = op.events[1].id
        assert [e.message for e in repo.list_operation_events(s, ids[0], after_id=first)] == [
            "2",
            "3",
            "4",
        ]
        assert {o.id for o in repo.running_operations(s)} == {ids[0], ids[2], ids[3]}
        failed = repo.get_operation(s, ids[1])
        assert (failed.error, failed.step, failed.finished_at is not None) == ("boom", "stop", True)
        assert repo.count_operations(s) == 4


def test_operation_ids_are_never_reused(db):
    with db.session() as s:
        first = repo.create_operation(s, "deploy").id
    with db.session() as s:
        s.execute(delete(Operation))
    with db.session() as s:
        assert repo.create_operation(s, "deploy").id == first + 1


def test_backups_newest_first_and_settings(db, app_fields):
    now = datetime.now(UTC)
    with db.session() as s:
        repo.add_app(s, **app_fields(1))
        for i in range(3):
            when = now + timedelta(minutes=i)
            repo.add_backup(s, app_id="nginx-web1", volid=f"local:backup/{i}", storage="local",
                            node="pve1", vmid=101, created_at=when)  # fmt: skip
        repo.set_setting(s, "ui.theme", "nord")
        repo.set_setting(s, "ui.theme", {"name": "gruvbox"})
    with db.session() as s:
        backups = repo.list_backups(s, app_id="nginx-web1")
        assert [b.volid for b in backups] == ["local:backup/2", "local:backup/1", "local:backup/0"]
        assert repo.get_backup_by_volid(s, "local:backup/1").id == backups[1].id
        assert repo.delete_backup(s, backups[0].id) and not repo.delete_backup(s, backups[0].id)
        assert repo.get_setting(s, "ui.theme") == {"name": "gruvbox"}
        assert repo.get_setting(s, "missing", 7) == 7
