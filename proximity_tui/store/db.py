"""The SQLite database: files and modes, connection PRAGMAs, sessions, schema upgrades.

Synchronous SQLAlchemy over sqlite3; async callers use `asyncio.to_thread`. Opening a database
that is already at `HEAD_REVISION` reads one row with plain SQL and never imports Alembic, which
keeps the dashboard's start fast; an older file is first copied to `<db>.bak-<revision>`, then
upgraded inside one transaction (a failed upgrade leaves it as it was).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from proximity_tui.errors import ConflictError, StoreError
from proximity_tui.files import private_dir, replace_private
from proximity_tui.store.plain_sql import Codec

#: The newest schema revision (a test checks it against Alembic's own head).
HEAD_REVISION = "0004"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: How long a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 10_000
_UPGRADE_LOCK = threading.Lock()


class Database:
    """One SQLite file. Create it with `Database.open(path)`; share it between threads."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        # Read-modify-write sessions take the write lock up front (BEGIN IMMEDIATE): a deferred
        # transaction that read first cannot wait for a concurrent writer and fails at once.
        self._write = sessionmaker(
            bind=engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        self._read = sessionmaker(bind=engine, expire_on_commit=False)
        self._codec: Codec | None = None

    @classmethod
    def open(cls, path: str | Path) -> Database:
        """Open (creating if needed) and upgrade the database at `path` to `HEAD_REVISION`.

        A file this program must not use (not SQLite, another program's tables) is refused with
        `StoreError` before anything in it changes.
        """
        path = Path(path).expanduser().absolute()
        _prepare_file(path)
        revision = _peek_revision(path)
        engine = _make_engine(path)
        db = cls(path, engine)
        try:
            if revision != HEAD_REVISION:
                with _UPGRADE_LOCK:  # Alembic's context is process-global
                    _upgrade(db)
        except BaseException:
            engine.dispose()
            raise
        return db

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back if it raises.

        `readonly=True` starts a deferred transaction (no write lock) and never commits.
        Database errors leave as `ConflictError` (a constraint) or `StoreError`, with SQLite's
        message only.
        """
        factory = self._read if readonly else self._write
        with factory() as session:
            try:
                yield session
                if readonly:
                    session.rollback()
                else:
                    session.commit()
            except BaseException as error:
                session.rollback()
                if isinstance(error, exc.DBAPIError):
                    raise translate_error(error, self.path) from error
                raise

    @contextmanager
    def raw_write(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection's plain sqlite3 connection inside `BEGIN IMMEDIATE`, committed
        when the block ends and rolled back if it raises (errors translated as `session()`'s).
        For the few hot writes that are plain SQL (`plain_sql`)."""
        fairy = self.engine.raw_connection()  # the pool's: the PRAGMAs of `_on_connect` hold
        try:
            conn: sqlite3.Connection = fairy.driver_connection  # type: ignore[assignment]
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        except sqlite3.Error as error:
            raise translate_error(error, self.path) from error
        finally:
            fairy.close()  # back to the pool

    @contextmanager
    def raw_read(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection's plain sqlite3 connection for one read statement (autocommit:
        a single statement sees one snapshot), errors translated as `session()`'s."""
        fairy = self.engine.raw_connection()
        try:
            yield fairy.driver_connection  # type: ignore[misc]
        except sqlite3.Error as error:
            raise translate_error(error, self.path) from error
        finally:
            fairy.close()

    @property
    def codec(self) -> Codec:
        """Column values as this engine stores them, for `plain_sql`."""
        if self._codec is None:
            self._codec = Codec(self.engine.dialect)
        return self._codec

    def revision(self) -> str | None:
        """The schema revision stored in the file (None for a new or foreign file)."""
        try:
            with self.engine.connect() as conn:
                return _read_revision(conn)
        except exc.DBAPIError as error:
            raise StoreError(
                f"cannot read database {self.path}: {error.orig}", exit_code=2
            ) from error

    def backup(self, dest: str | Path) -> Path:
        """A consistent copy of the whole database (WAL included) at `dest`, mode 0600."""
        return copy_database(self.path, Path(dest))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"


def translate_error(error: exc.DBAPIError | sqlite3.Error, path: Path) -> Exception:
    """The database's error without the statement and parameters SQLAlchemy quotes (they may
    hold secrets): SQLAlchemy's, or sqlite3's own (`raw_write`)."""
    cause = str(error.orig if isinstance(error, exc.DBAPIError) else error)
    if isinstance(error, exc.IntegrityError | sqlite3.IntegrityError):
        return ConflictError(cause)
    if "locked" in cause or "busy" in cause:
        return StoreError(f"database {path} is busy (another process holds it): {cause}")
    return StoreError(f"database {path}: {cause}")


def copy_database(source: Path, dest: Path) -> Path:
    """Copy a live SQLite database with the backup API (consistent even while others write),
    into a fresh 0600 file moved over `dest` (a link there is replaced, never followed)."""

    def copy(tmp: Path) -> None:
        src = sqlite3.connect(sqlite_uri(source, "mode=ro"), uri=True)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()

    return replace_private(dest, copy)


def sqlite_uri(path: Path, query: str) -> str:
    """A `file:` URI for sqlite3 (any `?` or `#` in the path quoted)."""
    return f"file:{quote(str(path))}?{query}"


# --- files --------------------------------------------------------------------------------------


def _prepare_file(path: Path) -> None:
    """Directory 0700 and file 0600 when we create them; an existing file is tightened to 0600."""
    if path.is_dir():
        raise StoreError(f"database path {path} is a directory", exit_code=2)
    try:
        private_dir(path.parent)  # an existing directory keeps the mode its owner chose
        try:
            _create_private(path, truncate=False)
        except FileExistsError:  # already there (or another process just made it)
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
    except OSError as error:
        raise StoreError(
            f"cannot create database {path}: {error.strerror or error}", exit_code=2
        ) from error


def _create_private(path: Path, *, truncate: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


# --- engine -------------------------------------------------------------------------------------


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        URL.create("sqlite+pysqlite", database=str(path)),
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # We emit BEGIN ourselves (`_on_begin`), so turn off sqlite3's own implicit transactions.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
        _ensure_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _ensure_wal(cursor: sqlite3.Cursor) -> None:
    """Switch to WAL (once per file; it persists). Changing the journal mode can answer
    "locked" at once, without the busy handler, while another process creates the file: retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):  # pragma: no cover - our own option
        raise ValueError(f"bad sqlite_begin {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")


# --- schema -------------------------------------------------------------------------------------


def _read_revision(conn: Connection) -> str | None:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).first()
    if found is None:
        return None
    row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return None if row is None else str(row[0])


def _user_tables(conn: Connection) -> list[str]:
    rows = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'alembic_version'"
    )
    return [r[0] for r in rows]


def _peek_revision(path: Path) -> str | None:
    """The stored revision, read with a bare connection (no PRAGMA has changed anything yet);
    refuses a file that is not SQLite or holds another program's tables."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            query = "SELECT name FROM sqlite_master WHERE type = 'table'"
            names = {r[0] for r in conn.execute(query)}
            if "alembic_version" in names:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                return None if row is None else str(row[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise StoreError(f"cannot use database {path}: {error}", exit_code=2) from error
    if tables := sorted(n for n in names if not n.startswith("sqlite_")):
        raise StoreError(
            f"{path} is not a proximity-tui database "
            f"(it has tables {', '.join(tables[:5])} but no schema revision)",
            exit_code=2,
        )
    return None


def _upgrade(db: Database) -> None:
    """Upgrade to head in one IMMEDIATE transaction (two processes opening at once: one waits)."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    try:
        with (
            db.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn,
            conn.begin(),
        ):
            revision = _read_revision(conn)  # again, now that we hold the write lock
            if revision == HEAD_REVISION:
                return
            if revision is None:
                if tables := _user_tables(conn):
                    raise StoreError(
                        f"{db.path} is not a proximity-tui database "
                        f"(it has tables {', '.join(tables[:5])} but no schema revision)",
                        exit_code=2,
                    )
            else:
                known = {rev.revision for rev in script.walk_revisions()}
                if revision not in known:
                    raise StoreError(
                        f"database {db.path} has schema revision {revision}, newer than this "
                        f"proximity-tui knows ({HEAD_REVISION}); upgrade proximity-tui"
                    )
                copy_database(db.path, db.path.with_name(f"{db.path.name}.bak-{revision}"))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except exc.DBAPIError as error:
        raise translate_error(error, db.path) from error
    except sqlite3.DatabaseError as error:  # raised by the backup copy
        raise StoreError(f"cannot back up database {db.path}: {error}") from error
