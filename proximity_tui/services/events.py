"""Events the services publish: operation progress and status snapshots.

Subscribers are plain callables run on the publisher's thread (the service loop). The dashboard's
subscriber forwards them with Textual's thread-safe `post_message`; the CLI prints them. A failing
subscriber is dropped from that delivery and never breaks the operation that published.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")

# Kinds of operation events, in the order a step goes through them.
STARTED = "started"  # the operation began (message: what it will do)
STEP_STARTED = "step_started"
LOG = "log"  # a line of task or command output
PROGRESS = "progress"
STEP_FINISHED = "step_finished"
STEP_FAILED = "step_failed"
UNDO = "undo"  # an undo ran (message: what was cleaned up)
ROLLED_BACK = "rolled_back"  # every undo ran
FINISHED = "finished"  # the operation ended; `status` says how


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OperationEvent:
    op_id: int
    kind: str
    message: str = ""
    step: str | None = None
    level: str = "info"
    #: Overall progress of the operation, 0..1, when known.
    progress: float | None = None
    #: Final status on FINISHED: succeeded | failed | rolled_back | interrupted.
    status: str | None = None
    app_id: str | None = None
    hostname: str | None = None
    operation: str | None = None
    ts: datetime = field(default_factory=utcnow)
    #: Seconds the step took, on STEP_FINISHED / STEP_FAILED.
    duration: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "op_id": self.op_id,
            "operation": self.operation,
            "kind": self.kind,
            "step": self.step,
            "level": self.level,
            "message": self.message,
            "ts": self.ts.isoformat(),
        }
        for key in ("progress", "status", "app_id", "hostname", "duration"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.extra:
            out.update(self.extra)
        return out


class Hub(Generic[E]):
    """A thread-safe list of subscribers for one kind of event."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[E], None]] = []

    def subscribe(self, callback: Callable[[E], None]) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: E) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # a broken subscriber must not break the operation
                log.exception("event subscriber failed")

    def __len__(self) -> int:
        with self._lock:
            return len(self._subscribers)
