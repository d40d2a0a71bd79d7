"""The plain-SQL writes of the hot paths (`plain_sql`, `app_rows`) store exactly what the ORM
stores: the same text in every column, the same defaults; a bad column or a missing row is
refused and changes nothing."""

import sqlite3

import pytest
from sqlalchemy import select

from proximity_tui.store import app_rows
from proximity_tui.store import repositories as repo
from proximity_tui.store.models import App


def _row(db, app_id):
    con = sqlite3.connect(db.path)
    try:
        con.row_factory = sqlite3.Row
        row = con.execute("SELECT * FROM apps WHERE id = ?", (app_id,)).fetchone()
        return dict(row) if row is not None else None
    finally:
        con.close()


def _fields(app_fields, n):
    return app_fields(
        n,
        status="deploying",
        config={"cores": 1, "health": {"port": 80, "path": "/"}, "secret_names": ["PW"]},
        ports={"80": 80},
        volumes=["data"],
        environment={"TZ": "Europe/Paris", "PW": "s3cret"},
    )


def test_an_app_row_written_in_plain_sql_is_the_orm_row(db, app_fields):
    with db.session() as s:
        repo.add_app(s, **_fields(app_fields, 1))
    with db.raw_write() as conn:
        app_rows.add_app(conn, db.codec, _fields(app_fields, 2))
    orm, plain = _row(db, "nginx-web1"), _row(db, "nginx-web2")
    same = {"id", "hostname", "lxc_id", "created_at", "updated_at"}
    assert {k: v for k, v in orm.items() if k not in same} == {
        k: v for k, v in plain.items() if k not in same
    }
    assert len(plain["created_at"]) == len(orm["created_at"])  # naive UTC text, microseconds
    with db.session(readonly=True) as s:  # and the ORM reads it back as it wrote its own
        app = repo.get_app(s, "nginx-web2")
        assert app.environment == {"TZ": "Europe/Paris", "PW": "s3cret"}
        assert app.created_at.tzinfo is not None and app.volumes == ["data"]


def test_a_status_change_in_plain_sql_is_the_orm_change(db, app_fields):
    for n in (1, 2):
        with db.session() as s:
            repo.add_app(s, **_fields(app_fields, n))
    changes = {"url": "http://10.0.0.5", "environment": {"TZ": "UTC"}}
    with db.session() as s:
        app = repo.set_app_status(s, "nginx-web1", "running", reason=None)
        app.url, app.environment = changes["url"], changes["environment"]
        app.config = {**app.config, "address": "10.0.0.5"}
    with db.raw_write() as conn:
        assert app_rows.set_status(
            conn, db.codec, "nginx-web2", "running", config={"address": "10.0.0.5"}, **changes
        )
    orm, plain = _row(db, "nginx-web1"), _row(db, "nginx-web2")
    for key in ("status", "url", "config", "environment", "ports", "volumes"):
        assert orm[key] == plain[key], key
    assert plain["updated_at"] > plain["created_at"]
    with db.raw_write() as conn:
        app_rows.set_status(conn, db.codec, "nginx-web2", "error", reason="CT gone")
        assert not app_rows.set_status(conn, db.codec, "nobody", "error")
    with db.session(readonly=True) as s:
        config = repo.get_app(s, "nginx-web2").config
    assert config["status_reason"] == "CT gone" and config["address"] == "10.0.0.5"


def test_an_unknown_column_is_refused_before_anything_is_written(db, app_fields):
    with db.session() as s:
        repo.add_app(s, **_fields(app_fields, 1))
    before = _row(db, "nginx-web1")
    with pytest.raises(ValueError, match="no column colour in apps"), db.raw_write() as conn:
        app_rows.set_status(conn, db.codec, "nginx-web1", "running", colour="red")
    assert _row(db, "nginx-web1") == before
    with pytest.raises(ValueError, match="no column"), db.raw_write() as conn:
        app_rows.add_app(conn, db.codec, {**_fields(app_fields, 2), "colour": "red"})
    assert _row(db, "nginx-web2") is None


def test_a_taken_hostname_or_vmid_is_a_conflict(db, app_fields):
    from proximity_tui.errors import ConflictError

    with db.raw_write() as conn:
        app_rows.add_app(conn, db.codec, _fields(app_fields, 1))
    with db.raw_read() as conn:
        assert app_rows.hostname_taken(conn, "web1") and not app_rows.hostname_taken(conn, "x")
        assert app_rows.vmid_taken(conn, 101) and not app_rows.vmid_taken(conn, 999)
    with pytest.raises(ConflictError, match="UNIQUE"), db.raw_write() as conn:
        app_rows.add_app(conn, db.codec, _fields(app_fields, 1))
    with db.session(readonly=True) as s:
        assert list(s.scalars(select(App.id))) == ["nginx-web1"]


def test_an_app_read_in_plain_sql_is_the_orm_view(db, app_fields):
    """`AppRecords.get` reads one row in plain SQL (`app_rows.get`): the view is the one the
    ORM read gives, owner name, aware times, decoded JSON and masked secrets included."""
    import asyncio

    from proximity_tui.errors import NotFoundError
    from proximity_tui.services.app_records import AppRecords, to_view

    with db.session() as s:
        owner = repo.get_or_create_user(s, "alice", default_role="operator")
        repo.add_app(s, **_fields(app_fields, 1), owner_id=owner.id)
        repo.add_app(s, **_fields(app_fields, 2))  # no owner
    records = AppRecords(db)
    for app_id in ("nginx-web1", "nginx-web2"):
        with db.session(readonly=True) as s:
            expected = to_view(repo.get_app(s, app_id))
        plain = asyncio.run(records.get(app_id))
        assert plain == expected
    assert plain.owner is None and expected.environment["PW"] == "********"
    assert asyncio.run(records.get("nginx-web1")).owner == "alice"
    assert asyncio.run(records.get("nginx-web1")).created_at.tzinfo is not None
    with pytest.raises(NotFoundError):
        asyncio.run(records.get("nope"))
