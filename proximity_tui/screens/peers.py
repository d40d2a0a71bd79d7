"""Other dashboards on the same database: counted off the event loop, announced in the header.

Two dashboards on one data directory are fine for a real host (SQLite is shared safely and each
reads the other's operations from the journal), but an admin should know: the header carries a
`2 DASHBOARDS` badge while another one runs, and a notification says so when one appears.
The registry itself (one flock-held file per dashboard) is `services/presence.py`.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from textual.signal import Signal

if TYPE_CHECKING:
    from pathlib import Path

    from textual.app import App

    from proximity_tui.services.presence import Presence


class PeerWatch:
    #: Seconds between two looks at the registry (a directory listing and a lock attempt each).
    interval = 5.0

    def __init__(self, app: App) -> None:
        self.app = app
        #: Other live dashboards on this database.
        self.others = 0
        #: Published (with `others`) when the count changes; headers subscribe.
        self.changed: Signal[int] = Signal(app, "peer-dashboards")
        self._db_path: Path | None = None
        self._presence: Presence | None = None
        self._lock = threading.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._stopped = False

    def start(self, db_path: Path) -> None:
        self._db_path = db_path
        self._look()

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._presence is not None:
                self._presence.close()

    # One executor job per look, the next look scheduled when it is done. Plain asyncio, not a
    # Textual worker and timer: a worker posts three state messages and `call_from_thread`
    # blocks a thread per look, and a new timer's callback is inspected anew each time; at one
    # look every 5 s that was ~5% of an idle dashboard's CPU (issue 19).
    def _look(self) -> None:
        self._timer = None
        if self._stopped:
            return
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, self._count).add_done_callback(self._looked)

    def _count(self) -> int | None:
        """In a thread: the other dashboards (None: stop looking)."""
        from proximity_tui.services.presence import Presence

        with self._lock:
            if self._stopped or self._db_path is None:
                return None
            if self._presence is None:
                try:
                    self._presence = Presence(self._db_path)
                except OSError:  # a read-only data directory: nothing to register in or say
                    return None
            return self._presence.others()

    def _looked(self, future: asyncio.Future[int | None]) -> None:
        if future.cancelled() or future.exception() is not None or self._stopped:
            return
        others = future.result()
        if others is not None:
            self._counted(others)

    def _counted(self, others: int) -> None:
        if others != self.others:
            more = others > self.others
            self.others = others
            self.changed.publish(others)
            if more:
                self.app.notify(
                    "Another Proximity dashboard has this database open. Both can work: each "
                    "sees the other's operations in the journal and the apps list.",
                    title="Shared database",
                    timeout=8,
                )
        self._timer = asyncio.get_running_loop().call_later(self.interval, self._look)
