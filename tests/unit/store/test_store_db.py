"""Database.open: files and modes, PRAGMAs, schema upgrades and refusals, sessions."""

import sqlite3
import stat
import subprocess
import sys
import threading

import pytest
from sqlalchemy import create_engine, text

from proximity_tui.errors import ConflictError, StoreError
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import HEAD_REVISION, MIGRATIONS_DIR, Database
from proximity_tui.store.models import Base


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def build_at(path, revision):
    """A database file at an older revision, built by Alembic itself."""
    from alembic import command

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    engine.dispose()


def test_open_creates_private_dir_and_file_at_head(tmp_path, app_fields):
    path = tmp_path / "new" / "dir" / "proximity.db"
    with Database.open(path) as db:
        assert db.path == path
        assert db.revision() == HEAD_REVISION
        with db.session() as s:
            repo.add_app(s, **app_fields())
        for p in path.parent.iterdir():  # the -wal and -shm files too
            assert mode(p) == 0o600, p
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600


def test_existing_file_is_tightened_to_0600(tmp_path):
    path = tmp_path / "p.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    Database.open(path).close()
    assert mode(path) == 0o600


def test_every_connection_gets_wal_foreign_keys_busy_timeout(db):
    conns = [db.engine.connect() for _ in range(2)]  # two pool connections at once
    try:
        for conn in conns:
            pragma = lambda name, c=conn: c.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 10_000
            assert pragma("synchronous") == 1  # NORMAL
    finally:
        for conn in conns:
            conn.close()


def test_head_revision_constant_is_alembics_head():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_models_and_migrations_describe_the_same_schema(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reopen_at_head_does_not_import_alembic(db):
    code = (
        "import sys; from proximity_tui.store.db import Database; "
        f"db = Database.open({str(db.path)!r}); print(db.revision(), 'alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [HEAD_REVISION, "False"]


def test_upgrade_from_an_empty_file(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with Database.open(path) as db:
        assert db.revision() == HEAD_REVISION
        with db.session() as s:
            assert repo.list_apps(s) == []
    assert not list(tmp_path.glob("*.bak-*"))  # nothing older to keep


def test_older_revision_is_copied_then_upgraded_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    build_at(path, "0001")
    raw = sqlite3.connect(path)
    raw.execute(
        "INSERT INTO apps (id, catalog_id, name, hostname, status, lxc_id, node, created_at,"
        " updated_at, config, ports, volumes, environment) VALUES ('a-web', 'a', 'A', 'web',"
        " 'running', 120, 'pve1', '2025-10-04 00:33:41.918809', '2025-10-04 00:33:41.918809',"
        " '{}', '{\"80\": 80}', '[]', '{}')"
    )
    raw.commit()
    raw.close()

    with Database.open(path) as db:
        assert db.revision() == HEAD_REVISION
        with db.session() as s:
            app = repo.get_app(s, "a-web")
            assert (app.hostname, app.ports, app.created_at.tzinfo is not None) == (
                "web",
                {"80": 80},
                True,
            )
            op_id = repo.create_operation(s, "note").id  # the new tables exist
            assert op_id == 1

    backup = tmp_path / "old.db.bak-0001"
    assert mode(backup) == 0o600
    old = sqlite3.connect(backup)
    assert old.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
    assert old.execute("SELECT hostname FROM apps").fetchall() == [("web",)]
    tables = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "operations" not in tables
    old.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a database, just text\n" * 50, "cannot use database"),
        ("sqlite-foreign", "not a proximity-tui database"),
    ],
)
def test_files_it_must_not_use_are_refused_unchanged(tmp_path, content, message):
    path = tmp_path / "other.db"
    if content == "sqlite-foreign":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
        conn.commit()
        conn.close()
    else:
        path.write_bytes(content)
    before, listing = path.read_bytes(), sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(StoreError, match=message) as err:
        Database.open(path)
    assert err.value.exit_code == 2
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_a_newer_schema_is_refused(db):
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    db.close()
    with pytest.raises(StoreError, match="newer than this proximity-tui knows"):
        Database.open(db.path)
    assert not list(db.path.parent.glob("*.bak-*"))


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a directory") as err:
        Database.open(tmp_path)
    assert err.value.exit_code == 2


def test_two_processes_opening_a_new_file_at_once(tmp_path):
    path = tmp_path / "race.db"
    code = (
        "from proximity_tui.store.db import Database; "
        f"print(Database.open({str(path)!r}).revision())"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert [out.strip() for out, _ in results] == [HEAD_REVISION.encode()] * 2


def test_session_commits_or_rolls_back(db, app_fields):
    with db.session() as s:
        repo.add_app(s, **app_fields(1))
    with pytest.raises(RuntimeError), db.session() as s:
        repo.add_app(s, **app_fields(2))
        raise RuntimeError("boom")
    with db.session(readonly=True) as s:
        assert [a.id for a in repo.list_apps(s)] == ["nginx-web1"]


def test_constraint_errors_carry_sqlites_message_not_the_values(db, app_fields):
    secret = "s3cr3t-value-never-shown"
    with db.session() as s:
        repo.add_app(s, **app_fields(1))
    match = "UNIQUE constraint failed: apps.hostname"
    with pytest.raises(ConflictError, match=match) as err, db.session() as s:
        repo.add_app(s, **app_fields(2, hostname="web1", environment={"PW": secret}))
    assert secret not in str(err.value)


def test_a_writer_waits_for_another_process_instead_of_failing(db, app_fields):
    """The other writer holds the write lock until this session's BEGIN has reached SQLite
    (its trace callback: the statement runs, and waits for the lock), then commits: that BEGIN
    waits for the commit instead of failing, then reads what the other wrote."""
    from sqlalchemy import event

    other = Database.open(db.path)  # its own connections, like a second process
    holding, beginning = threading.Event(), threading.Event()

    def traced(statement: str) -> None:
        if statement.startswith("BEGIN"):
            beginning.set()

    def on_execute(conn, cursor, statement, *args) -> None:
        cursor.connection.set_trace_callback(traced)

    def hold_the_write_lock():
        with other.session() as s:
            repo.add_app(s, **app_fields(1))
            s.flush()
            holding.set()
            assert beginning.wait(60), "the second writer never began"

    event.listen(db.engine, "before_cursor_execute", on_execute)
    thread = threading.Thread(target=hold_the_write_lock)
    thread.start()
    assert holding.wait(60)
    with db.session() as s:  # read, then write: waits for the other writer, no "locked" error
        taken = repo.hostname_taken(s, "web1")
        repo.add_app(s, **app_fields(2))
    thread.join()
    event.remove(db.engine, "before_cursor_execute", on_execute)
    other.close()
    assert taken is True
    with db.session(readonly=True) as s:
        assert s.scalar(text("SELECT count(*) FROM apps")) == 2
