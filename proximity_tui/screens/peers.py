"""Other dashboards on the same database: counted off the event loop, announced in the header.

Two dashboards on one data directory are fine for a real host (SQLite is shared safely and each
reads the other's operations from the journal), but an admin should know: the header carries a
`2 DASHBOARDS` badge while another one runs, and a notification says so when one appears.
The registry itself (one flock-held file per dashboard) is `services/presence.py`.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

from textual.signal import Signal

if TYPE_CHECKING:
    from pathlib import Path

    from textual.app import App
    from textual.timer import Timer

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
        self._timer: Timer | None = None
        self._stopped = False

    def start(self, db_path: Path) -> None:
        self._db_path = db_path
        self._look()

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.stop()
        with self._lock:
            if self._presence is not None:
                self._presence.close()

    # One short thread worker per look, the next one scheduled when it is done (never a
    # worker that lives as long as the app: tests wait for the workers to complete).
    def _look(self) -> None:
        self.app.run_worker(
            self._count,
            thread=True,
            group="peer-watch",
            exit_on_error=False,
            description="other dashboards on this database",
        )

    def _count(self) -> None:
        from proximity_tui.services.presence import Presence

        with self._lock:
            if self._stopped or self._db_path is None:
                return
            if self._presence is None:
                try:
                    self._presence = Presence(self._db_path)
                except OSError:  # a read-only data directory: nothing to register in or say
                    return
            others = self._presence.others()
        with contextlib.suppress(RuntimeError):  # the app is gone meanwhile
            self.app.call_from_thread(self._counted, others)

    def _counted(self, others: int) -> None:
        if self._stopped:
            return
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
        self._timer = self.app.set_timer(self.interval, self._look)
