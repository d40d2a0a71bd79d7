"""App detail's Logs tab: `docker compose logs` of one app, loaded once or followed.

Lines stream from the service loop (`app_logs` with `on_line`) into a bounded buffer that the UI
drains once per message; the view keeps at most `LOG_LINES` lines, `/` searches and `&` filters
them. Each stream has its own buffer, so lines of a stopped stream never reach the view (turning
follow on clears the view and reloads once: `docker compose logs -f` replays the tail).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Input, Static, TabPane

from proximity_tui.messages import LineBuffer, LogLinesArrived
from proximity_tui.screens.app_detail_info import LOG_LINES, LogView
from proximity_tui.widgets.follow_log import FollowLog
from proximity_tui.widgets.format import one_line
from proximity_tui.widgets.log_search_input import LogSearchInput

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp

LOG_TAIL = 200
#: After a follow stream ended by itself, look again this often (the app may be running already).
FOLLOW_RETRY_SECONDS = 3.0


class LogsPane(TabPane):
    """The tab's search box, status line and log; the screen binds the keys and calls in."""

    def __init__(self, app_id: str) -> None:
        super().__init__("Logs", id="logs")
        self.app_id = app_id
        self.follow = False
        #: The follow stream ended by itself (compose logs -f exits when the app restarts or
        #: stops): it resumes once the app runs again.
        self._follow_ended = False
        self.search = ""
        self.lines: deque[str] = deque(maxlen=LOG_LINES)
        self._buffer = LineBuffer(LOG_LINES)
        self._log_loaded = False  # a line arrived or the stream ended
        self._log_error: str | None = None  # why the stream failed (the pane stays empty)
        self._stop: threading.Event | None = None

    def compose(self) -> ComposeResult:
        yield LogSearchInput("#log-view")
        yield Static("", id="log-status")
        yield LogView(id="log-view")

    @property
    def started(self) -> bool:
        return self._stop is not None

    def on_unmount(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def _log_status(self) -> None:
        if self._log_error is not None:
            error = f"docker compose logs · {self._log_error}"
            self.query_one("#log-status", Static).update(Text(error, "red"))
            return
        if not self._log_loaded:
            mode = "loading logs…"
        elif self.follow and self._follow_ended:
            mode = "following · the stream ended (restart?), resumes when the app runs · f stops"
        elif self.follow and not self.query_one(LogView).following:
            mode = "following · paused · f or G resumes"
        elif self.follow:
            mode = "following · f stops"
        elif not self.lines:
            mode = "no log lines · f follows"
        else:
            mode = f"last {LOG_TAIL} lines · f follows"
        shown = self.query_one(LogView).status()  # wrap, search
        self.query_one("#log-status", Static).update(f"docker compose logs · {mode} · {shown}")

    def on_follow_log_state_changed(self, _: FollowLog.StateChanged) -> None:
        self._log_status()

    def start(self) -> None:
        """(Re)load from scratch: the view is cleared, so no line is ever shown twice."""
        if self._stop is not None:
            self._stop.set()
        self._stop = threading.Event()
        self._follow_ended = False
        self._buffer = LineBuffer(LOG_LINES)  # the old stream keeps writing to its own
        self.lines.clear()
        self.query_one(LogView).show([])
        self._log_loaded = False
        self._log_error = None
        self._log_status()
        self._stream_logs(self._stop, self._buffer, self.follow)

    def resume_follow(self) -> None:
        """Follow again after the stream ended by itself, once the app is up and idle."""
        view = cast("ProximityApp", self.app).apps.get(self.app_id)
        if (
            self._follow_ended
            and self.follow
            and view is not None
            and view.status == "running"
            and view.busy_op is None
        ):
            self.start()

    @work(group="detail-logs", exclusive=True, exit_on_error=False)
    async def _stream_logs(self, stop: threading.Event, buffer: LineBuffer, follow: bool) -> None:
        def on_line(line: str) -> None:  # service thread: buffer, then one message
            if not stop.is_set() and buffer.add(line):
                self.post_message(LogLinesArrived())

        services = cast("ProximityApp", self.app).ready_services
        try:
            await services.run(
                services.apps.app_logs(
                    self.app_id, tail=LOG_TAIL, follow=follow, on_line=on_line, stop=stop
                )
            )
        except Exception as exc:
            if not stop.is_set():
                self.notify(f"Logs: {exc}", severity="error", markup=False)
                if buffer is self._buffer:  # say why the pane stays empty
                    self._log_loaded = True
                    self._log_error = one_line(str(exc), 120)
                    self._log_status()
                    return
        if buffer is self._buffer:
            self._drain()
            self._log_loaded = True
            if follow and not stop.is_set():  # ended by itself: say so, and resume when it runs
                self._follow_ended = True
                self.set_timer(FOLLOW_RETRY_SECONDS, self.resume_follow)
            self._log_status()

    def on_log_lines_arrived(self, _: LogLinesArrived) -> None:
        self._drain()

    def _drain(self) -> None:
        lines = self._buffer.drain()
        if not lines:
            return
        self.lines.extend(lines)
        if not self._log_loaded:
            self._log_loaded = True
            self._log_status()
        self.query_one(LogView).add(lines)  # it searches and filters them too

    def toggle_follow(self) -> None:
        """`f`: follow (reloading), stop (keeping what is shown), or resume a held view."""
        log = self.query_one(LogView)
        if self.follow and not log.following and not self._follow_ended:
            # Following but the view is held (n/N on a match, or scrolled up): resume, as G does.
            log.action_follow_end()
            return
        self.follow = not self.follow
        if self.follow:
            self.start()
        elif self._stop is not None:  # keep what is shown; just stop the stream
            self._stop.set()
            self._log_status()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, LogSearchInput):  # it searches the log itself
            event.stop()
            self.search = event.value.strip().lower()
