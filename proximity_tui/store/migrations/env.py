"""Alembic environment. The program passes its own connection (inside a transaction it holds, so
an upgrade is all or nothing); developers running `alembic` pass `-x db=PATH` instead."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from proximity_tui.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(**kwargs: object) -> None:
    # Batch mode: SQLite cannot ALTER most things, so later revisions copy-and-move tables.
    context.configure(target_metadata=target_metadata, render_as_batch=True, **kwargs)


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def _url() -> str:
    db = context.get_x_argument(as_dictionary=True).get("db")
    if not db:
        raise SystemExit("pass the database: alembic -x db=PATH ...")
    return f"sqlite:///{db}"


if context.is_offline_mode():
    run_offline()
else:
    run_online()
