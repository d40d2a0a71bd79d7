"""A line in the operation's log while it waits long for something (a health check, a DHCP lease,
a CT another task holds): "… waiting for http://127.0.0.1:3001/: attempt 6, 10s of 30s". Without
it a 30-second wait showed an empty log. Rate-limited (one line every `every` seconds, not one
per poll), it goes through `ctx.log`, so the CLI's live output, the progress screen and the
journal all show it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext

#: Seconds between two heartbeat lines of one wait.
HEARTBEAT_EVERY = 5.0
#: How a heartbeat line starts (quitting the dashboard repeats these lines on the terminal).
HEARTBEAT_MARK = "… "


class Heartbeat:
    def __init__(
        self, ctx: OperationContext, waiting: str, timeout: float, every: float, now: float
    ) -> None:
        self.ctx = ctx
        self.waiting = waiting
        self.timeout = timeout
        self.every = every
        self.start = self._said = now
        self.attempts = 0

    def heard(self, now: float) -> None:
        """The awaited thing said something itself at `now` (a task's log line): the next
        heartbeat line is due `every` seconds after it."""
        self._said = now

    def beat(self, now: float, last: str | None = None) -> bool:
        """One more attempt failed at `now` (loop time); says so when the last line is `every`
        seconds old. Returns whether it did."""
        self.attempts += 1
        if now - self._said < self.every:
            return False
        self._said = now
        of = f" of {self.timeout:g}s" if self.timeout else ""
        line = (
            f"{HEARTBEAT_MARK}{self.waiting}: attempt {self.attempts}, {now - self.start:.0f}s{of}"
        )
        self.ctx.log(line + (f" ({last})" if last else ""))
        return True
