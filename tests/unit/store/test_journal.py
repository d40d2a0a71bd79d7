"""The operations journal: records, events, outcomes, and secrets that never reach the file."""

import subprocess
import sys

import pytest

from proximity_tui.errors import NotFoundError
from proximity_tui.services.journal import MASK, Journal


@pytest.fixture
def journal(db):
    return Journal(db)


def test_an_operation_from_start_to_finish(journal):
    op = journal.start("deploy", app_id="nginx-web1", hostname="web1", parameters={"cores": 2})
    journal.event(op, "create", "creating CT 101", kind="step_started")
    journal.event(op, "create", "50%", kind="progress", progress=0.5)
    journal.events(op, [{"step": "start", "message": "starting", "kind": "step_started"},
                        {"step": "start", "message": "slow", "level": "warning"}])  # fmt: skip
    assert journal.get(op).step == "start"  # the current step follows step_started events
    assert journal.finish(op, "succeeded", result={"vmid": 101}) is True

    record = journal.get(op)
    assert (record.status, record.finished, record.result) == ("succeeded", True, {"vmid": 101})
    assert [(e.step, e.kind, e.level) for e in record.events] == [
        ("create", "step_started", "info"),
        ("create", "progress", "info"),
        ("start", "step_started", "info"),
        ("start", "log", "warning"),
    ]
    assert record.events[1].progress == 0.5
    assert record.pid == journal.pid and record.host == journal.host
    assert record.parameters == {"cores": 2}
    assert journal.events_after(op, record.events[2].id)[0].message == "slow"
    assert record.as_dict(events=True)["events"][0]["message"] == "creating CT 101"


def test_a_finished_operation_is_never_overwritten(journal):
    op = journal.start("stop")
    assert journal.finish(op, "failed", error="boom", step="shutdown")
    assert journal.finish(op, "interrupted") is False
    record = journal.get(op)
    assert (record.status, record.error, record.step) == ("failed", "boom", "shutdown")


def test_bad_statuses_levels_and_ids_are_refused(journal):
    op = journal.start("stop")
    with pytest.raises(ValueError, match="final status"):
        journal.finish(op, "running")
    with pytest.raises(ValueError, match="level"):
        journal.event(op, "x", "y", level="debug")
    with pytest.raises(NotFoundError):
        journal.get(999)
    with pytest.raises(NotFoundError):
        journal.finish(999, "failed")


def test_list_newest_first_with_filters(journal):
    a = journal.start("deploy", app_id="a")
    b = journal.start("stop", app_id="b")
    journal.finish(a, "succeeded")
    assert [o.id for o in journal.list()] == [b, a]
    assert [o.id for o in journal.list(status="running")] == [b]
    assert [o.id for o in journal.list(kind="deploy")] == [a]
    assert [o.id for o in journal.list(limit=1)] == [b]
    assert [o.id for o in journal.running()] == [b]


def test_writes_can_join_the_callers_transaction(db, journal):
    with pytest.raises(RuntimeError), db.session() as s:
        journal.start("deploy", session=s)
        raise RuntimeError("the caller's transaction fails")
    assert journal.list() == []


def test_secret_keys_are_redacted_at_any_depth(journal):
    op = journal.start(
        "deploy",
        parameters={
            "hostname": "web1",
            "environment": {"POSTGRES_PASSWORD": "pw-1", "TZ": "UTC", "JWT_SECRET": "jwt-1"},
            "token_value": "tok-1",
            "api_key": "key-1",
            "ssh": [{"private_key": "-----BEGIN"}],
            "empty_password": "",
            "keyctl": 1,
        },
    )
    params = journal.get(op).parameters
    assert params["hostname"] == "web1" and params["keyctl"] == 1
    assert params["environment"] == {"POSTGRES_PASSWORD": MASK, "TZ": "UTC", "JWT_SECRET": MASK}
    assert (params["token_value"], params["api_key"]) == (MASK, MASK)
    assert params["ssh"] == [{"private_key": MASK}]
    assert params["empty_password"] == ""


def test_a_registered_secret_never_reaches_the_database_file(db, journal):
    secret = "Zq8-generated-password-Xy"
    journal.register_secret(secret)
    journal.register_secret("ab")  # too short to mask: ignored, messages stay readable
    op = journal.start("deploy", parameters={"note": f"uses {secret}", "DB_PASS_FILE": "/x"})
    journal.event(op, "compose", f"MYSQL_ROOT_PASSWORD={secret} written", kind="log")
    journal.events(op, [{"step": "health", "message": f"login with {secret} ok"}])
    journal.finish(op, "failed", error=f"auth failed for {secret}", result={"env": [secret]})
    record = journal.get(op)
    assert record.error == f"auth failed for {MASK}"
    assert record.events[0].message == f"MYSQL_ROOT_PASSWORD={MASK} written"
    assert record.parameters["note"] == f"uses {MASK}"
    assert record.result == {"env": [MASK]}
    db.close()
    files = sorted(db.path.parent.iterdir())
    blob = b"".join(p.read_bytes() for p in files)
    assert blob.count(b"written") >= 1  # the messages are there...
    assert secret.encode() not in blob  # ...the secret is not, in the db, the WAL or anywhere


def test_long_messages_are_cut(journal):
    op = journal.start("logs")
    journal.event(op, "tail", "x" * 50_000)
    assert len(journal.get(op).events[0].message) < 20_100


def test_orphaned_operations_are_those_whose_process_died(db, journal):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(dead.stdout)
    mine = journal.start("deploy")
    orphan = Journal(db, pid=dead_pid).start("deploy")
    elsewhere = Journal(db, pid=dead_pid, host="another-node").start("deploy")
    orphans = [op.id for op in journal.orphaned()]
    assert orphan in orphans
    assert mine not in orphans and elsewhere not in orphans


def _stored(db, op_id):
    """The operation's row and its events as SQLite holds them (text, not Python objects)."""
    import sqlite3

    con = sqlite3.connect(db.path)
    try:
        op = con.execute(
            "SELECT kind, app_id, hostname, user_id, parameters, status, step, error, result, "
            "pid, host, typeof(started_at), length(started_at), length(finished_at) "
            "FROM operations WHERE id = ?",
            (op_id,),
        ).fetchone()
        events = con.execute(
            "SELECT step, level, kind, message, progress, typeof(ts), length(ts) "
            "FROM operation_events WHERE operation_id = ? ORDER BY id",
            (op_id,),
        ).fetchall()
    finally:
        con.close()
    return op, events


def test_the_plain_sql_writes_store_what_the_orm_stores(db, journal):
    """Start, events, state and finish go through plain SQL (`journal_rows`) on their own and
    through the ORM inside a caller's transaction: the file holds the same text either way."""
    params = {"cores": 2, "environment": {"TZ": "UTC"}, "ports": [80, 443]}
    items = [
        {"step": "create", "message": "Create", "kind": "step_started", "progress": 0.25},
        {"step": "create", "message": "héllo", "level": "warning"},
    ]
    last = [{"step": "create", "message": "deployed", "kind": "finished"}]
    ids = []
    for joined in (False, True):
        if joined:
            with db.session() as s:
                op = journal.start("deploy", app_id="a", hostname="h", parameters=params,
                                   user_id=None, session=s)  # fmt: skip
                journal.events(op, items, session=s)
        else:
            op = journal.start("deploy", app_id="a", hostname="h", parameters=params)
            journal.events(op, items)
        journal.save_state(op, {"vmid": 101, "reserved": True})
        if joined:
            with db.session() as s:
                journal.finish(op, "failed", error="boom", result={"state": {"vmid": 101}},
                               events=last, session=s)  # fmt: skip
        else:
            journal.finish(op, "failed", error="boom", result={"state": {"vmid": 101}}, events=last)
        ids.append(op)
    plain, orm = (_stored(db, op) for op in ids)
    assert plain == orm
    assert plain[0][6] == "create" and plain[0][8] == '{"state": {"vmid": 101}}'
    record = journal.get(ids[0])
    assert record.started_at.tzinfo is not None and record.finished_at >= record.started_at
    assert [e.kind for e in record.events] == ["step_started", "log", "finished"]


def test_saved_state_keeps_the_rest_of_the_result(journal):
    op = journal.start("deploy")
    journal.save_state(op, {"vmid": 101})
    journal.save_state(op, {"vmid": 101, "reserved": True, "password": "x"})
    assert journal.get(op).result == {"state": {"vmid": 101, "reserved": True, "password": MASK}}
    with pytest.raises(NotFoundError):
        journal.save_state(999, {"vmid": 1})


def test_finish_writes_its_last_events_whatever_the_outcome(journal):
    op = journal.start("deploy")
    assert journal.finish(op, "succeeded", events=[{"step": "x", "message": "done"}]) is True
    assert journal.finish(op, "interrupted", events=[{"step": "x", "message": "late"}]) is False
    record = journal.get(op)
    assert record.status == "succeeded"
    assert [e.message for e in record.events] == ["done", "late"]
    with pytest.raises(NotFoundError):
        journal.finish(999, "failed", events=[{"step": "x", "message": "lost"}])
    with pytest.raises(ValueError, match="level"):  # checked before anything is written
        journal.finish(op, "failed", events=[{"step": "x", "message": "y", "level": "debug"}])


def test_a_failed_plain_write_changes_nothing_and_says_why(db, journal):
    from proximity_tui.errors import ConflictError

    op = journal.start("deploy")
    with pytest.raises(ConflictError, match="FOREIGN KEY"):  # no such operation: nothing kept
        journal.events(op + 1, [{"step": "x", "message": "orphan"}])
    with pytest.raises(RuntimeError), db.raw_write() as conn:
        conn.execute("UPDATE operations SET step = 'half' WHERE id = ?", (op,))
        raise RuntimeError("the block fails")
    assert journal.get(op).step is None and journal.get(op).events == ()
