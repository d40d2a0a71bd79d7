"""The views the services hand over once they run: the cluster, a deploy's node choices and
plan, the operations journal, backups. Plain, immutable values, as in `views.py`.

Kept apart from `views.py` for start-up time: the dashboard's first frame (the Apps table read
from the database) needs only the app views, and each frozen dataclass generates its methods at
import (`exec`), about 5 M instructions a class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class NodeChoice:
    """A node the deploy form offers, with what is known of its room."""

    name: str
    online: bool
    #: None: unknown (Proxmox withholds node figures from a token without Sys.Audit).
    free_memory_mb: int | None
    total_memory_mb: int | None
    cpus: int | None
    cpu_load: float | None
    has_template: bool = False


@dataclass(frozen=True)
class DeployPlan:
    """What a deploy would do (the form's preview), and what would stop it."""

    catalog_id: str
    hostname: str
    node: str
    vmid: int
    cores: int
    memory: int
    disk: int
    template: str
    template_cached: bool
    steps: tuple[tuple[str, str], ...]  # (name, title)
    #: Problems that would stop the deploy (empty when it can go ahead).
    problems: tuple[str, ...] = ()
    #: How the CT gets its address (`NetworkPlan.describe()`; "" when the request is invalid).
    network: str = ""


@dataclass(frozen=True)
class ClusterInfo:
    """The cluster the dashboard is connected to (the header's line)."""

    name: str
    host: str
    nodes: tuple[NodeChoice, ...]
    version: str
    demo: bool = False
    insecure: bool = False


@dataclass(frozen=True)
class OperationEventView:
    """One journal line of an operation."""

    ts: datetime
    step: str | None
    level: str
    kind: str
    message: str
    progress: float | None = None


@dataclass(frozen=True)
class OperationView:
    """An operation (deploy, update, backup, ...) as its journal records it."""

    id: int
    kind: str
    app_id: str | None
    hostname: str | None
    user: str | None
    status: str
    step: str | None
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    parameters: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    events: tuple[OperationEventView, ...] = ()

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class BackupView:
    """A backup of an app, as recorded."""

    id: int
    app_id: str
    volid: str
    storage: str
    node: str
    vmid: int
    size: int
    created_at: datetime
    status: str
    notes: str | None = None
