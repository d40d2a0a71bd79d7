"""Which catalog entries are deployed, and as which hostnames: the catalog screen's mark and the
`catalog` command's `deployed` column read the same answer from the same apps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from proximity_tui.services.catalog.model import SOURCES


class DeployedApp(Protocol):
    """What the answer needs of an app: an `AppView` or a stored `App` row."""

    @property
    def catalog_id(self) -> str: ...

    @property
    def hostname(self) -> str: ...

    @property
    def config(self) -> Mapping[str, Any] | None: ...


def deployed_by_entry(apps: Iterable[DeployedApp]) -> dict[str, list[str]]:
    """Entry ref -> the sorted hostnames of the apps deployed from it (an added source's entry is
    `source/id`: the app records its source)."""
    out: dict[str, list[str]] = {}
    for app in apps:
        source = (app.config or {}).get("catalog_source")
        ref = app.catalog_id if not source or source in SOURCES else f"{source}/{app.catalog_id}"
        out.setdefault(ref, []).append(app.hostname)
    return {ref: sorted(hosts) for ref, hosts in out.items()}


def deployed_in_database(db_path: Path) -> dict[str, list[str]]:
    """The same answer from the database file, for the command line (which needs no Proxmox
    host to list the catalog); none when there is no database yet (nothing is created)."""
    if not db_path.is_file():
        return {}
    from proximity_tui.store import repositories as repo
    from proximity_tui.store.db import Database

    with Database.open(db_path) as db, db.session(readonly=True) as s:
        return deployed_by_entry(repo.list_apps(s))
