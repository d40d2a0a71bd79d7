"""App-wide messages: results and events arriving from the service layer (past tense).

Service callbacks run on the service thread; they only ever `post_message` one of these (Textual's
`post_message` is thread-safe) and never touch a widget. Floods collapse: a newer snapshot replaces
an older one still queued (carrying over what the older one said had changed), and operation events
are batched by `EventBuffer` so a chatty deploy log costs one message per UI turn, not one per line.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from proximity_tui.services.events import OperationEvent
    from proximity_tui.views import AppView, StatusSnapshot


class SnapshotArrived(Message):
    """The status monitor published a snapshot."""

    def __init__(self, snapshot: StatusSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.changed: set[str] = set(snapshot.changed)
        self.removed: set[str] = set(snapshot.removed)

    def can_replace(self, message: Message) -> bool:
        # `self` is queued and `message` is newer: the newer one wins, but must also redraw
        # the rows this one would have touched, or their changes would be lost.
        if isinstance(message, SnapshotArrived):
            message.changed |= self.changed - message.removed
            message.removed |= self.removed - set(message.snapshot.apps)
            return True
        return False


class OperationEventsArrived(Message):
    """Some operation events are waiting in the app's `EventBuffer`."""


class AppsLoaded(Message):
    """The first (or a fresh) list of apps was read."""

    def __init__(self, apps: list[AppView], *, preliminary: bool = False) -> None:
        super().__init__()
        self.apps = apps
        #: Read straight from the database for the first paint, before the services exist.
        self.preliminary = preliminary


class ServicesReady(Message):
    """The services were built (when the app was started with a factory)."""


class LogLinesArrived(Message):
    """Lines of `docker compose logs` are waiting in a screen's buffer."""


class EventBuffer:
    """Thread-safe buffer: the service thread appends, the UI drains once per message."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[OperationEvent] = []

    def add(self, item: OperationEvent) -> bool:
        """Append; True when the buffer was empty (so the caller posts one message)."""
        with self._lock:
            self._items.append(item)
            return len(self._items) == 1

    def drain(self) -> list[OperationEvent]:
        with self._lock:
            items, self._items = self._items, []
        return items


class LineBuffer:
    """Like `EventBuffer`, for plain text lines (log streaming), bounded."""

    def __init__(self, limit: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._items: list[str] = []
        self._limit = limit

    def add(self, line: str) -> bool:
        with self._lock:
            self._items.append(line)
            if len(self._items) > self._limit:
                del self._items[: len(self._items) - self._limit]
            return len(self._items) == 1

    def drain(self) -> list[str]:
        with self._lock:
            items, self._items = self._items, []
        return items
