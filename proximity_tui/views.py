"""Plain, immutable values the services hand to the UI and the CLI.

They carry no database session and no client: the dashboard can keep them, compare them and render
them on its own loop. Secret environment values never leave the service layer unmasked unless a
caller asks for them explicitly (`AppService.reveal_secret`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

#: App statuses, as stored. `missing`: the container vanished from Proxmox.
APP_STATUSES = ("deploying", "running", "stopped", "error", "updating", "removing", "missing")
#: Statuses that belong to an operation in progress; the monitor leaves them alone.
TRANSITIONAL = ("deploying", "updating", "removing")


@dataclass(frozen=True)
class LiveStatus:
    """What Proxmox said about one container at the last tick. The listing's `Guest`
    (proxmox/models.py) is a `LiveStatus`: the status tick publishes the guest itself, no copy
    and no second object (5,000 a tick at 5,000 containers)."""

    vmid: int
    node: str
    status: str  # running | stopped | ... as Proxmox reports it
    cpu: float = 0.0  # fraction of the CT's cores, 0..1
    maxcpu: float = 0.0  # the CT's cores (PVE's name)
    mem: int = 0
    maxmem: int = 0
    disk: int = 0
    maxdisk: int = 0
    netin: int = 0
    netout: int = 0
    uptime: int = 0
    lock: str | None = None
    name: str = ""
    tags: tuple[str, ...] = ()
    type: str = "lxc"
    template: bool = False

    @property
    def cores(self) -> float:
        return self.maxcpu


@dataclass(frozen=True)
class AppView:
    """One deployed app as the UI shows it: its record, with its live status when known."""

    id: str
    catalog_id: str
    name: str
    hostname: str
    status: str
    node: str
    vmid: int
    url: str | None
    owner: str | None
    created_at: datetime | None
    updated_at: datetime | None
    ports: dict[str, Any] = field(default_factory=dict)
    volumes: list[Any] = field(default_factory=list)
    #: Environment with secret values masked.
    environment: dict[str, str] = field(default_factory=dict)
    secret_names: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    #: Why the app is in `error` (or `missing`), when known.
    reason: str | None = None
    live: LiveStatus | None = None
    #: True when the live figures are older than the last failed refresh.
    stale: bool = False
    #: Id of the operation running on this app right now, if any.
    busy_op: int | None = None
    #: Its kind (`restore`, `stop`, ...), so a list can say what is happening.
    busy_kind: str | None = None

    if not TYPE_CHECKING:  # mypy keeps checking attribute names against the fields above

        def __getattr__(self, name: str) -> Any:
            """A view the status tick made for a CT whose figures moved shares its row's view
            (`_row`) instead of copying its 21 fields (`status_rows.with_live`): only the
            fields it sets, and those with a class-level default, are its own. Reads of the
            other fields land here (Python asks `__getattr__` only when the normal lookup
            fails, so a full view never does)."""
            row = self.__dict__.get("_row")
            if row is None:
                raise AttributeError(f"'AppView' object has no attribute {name!r}")
            return getattr(row, name)


@dataclass(frozen=True)
class OrphanView:
    """A container tagged `proximity` that no app row knows."""

    vmid: int
    node: str
    name: str
    status: str
    description: str = ""


@dataclass(frozen=True)
class StatusSnapshot:
    """One monitor tick: live figures by app id, orphans, and the health of the refresh."""

    taken_at: datetime
    ok: bool
    apps: dict[str, AppView]
    orphans: tuple[OrphanView, ...] = ()
    error: str | None = None
    #: When the last successful refresh happened (None: never).
    last_success: datetime | None = None
    #: After a failed refresh: seconds until the monitor tries again (the stale banner's countdown).
    retry_in: float | None = None
    #: Per app id, recent CPU fractions and memory bytes (oldest first), for sparklines: read on
    #: demand from the monitor (`history.HistoryBook`), so it is current, not frozen at the tick.
    history: Mapping[str, tuple[tuple[float, ...], tuple[int, ...]]] = field(default_factory=dict)
    #: Ids whose row changed since the previous snapshot (status, figures or presence).
    changed: frozenset[str] = frozenset()
    #: Ids that disappeared since the previous snapshot (deleted apps).
    removed: frozenset[str] = frozenset()
