"""A banner shown while Proxmox is not answering: the error, how stale the figures are and when
the next try comes ("stale 12 s · retrying in 4 s"), counted down every second."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from textual.widgets import Static

from proximity_tui.widgets.format import clock_time, one_line

if TYPE_CHECKING:
    from textual.timer import Timer

    from proximity_tui.views import StatusSnapshot


def seconds(value: float, *, up: bool = False) -> str:
    """`12 s`, `3 min 5 s`: an age (whole seconds passed) or, `up`, a countdown (never 0 early)."""
    whole = max(0, math.ceil(value) if up else math.floor(value))
    if whole < 120:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60} s"


class StaleBanner(Static):
    DEFAULT_CSS = """
    StaleBanner {
        display: none; height: auto; padding: 0 1;
        background: $error 30%; color: $text; border-left: thick $error;
    }
    StaleBanner.-shown { display: block; }
    """
    #: The failed snapshot shown last and when a banner first showed it, shared by every banner:
    #: a screen opened later counts down from then, not from its own start.
    _first_seen: ClassVar[tuple[StatusSnapshot, datetime] | None] = None

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self._snapshot: StatusSnapshot | None = None
        self._shown_at: datetime | None = None
        self._timer: Timer | None = None

    def _now(self) -> datetime:
        # The App's clock when it has one (tests and snapshots fix it), else the wall clock.
        clock: Callable[[], datetime] | None = getattr(self.app, "clock", None)
        return clock() if clock is not None else datetime.now(UTC)

    def show_snapshot(self, snapshot: StatusSnapshot | None) -> None:
        if snapshot is None or snapshot.ok:
            self._snapshot = None
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self.remove_class("-shown")
            return
        seen = StaleBanner._first_seen
        if seen is None or seen[0] is not snapshot:
            seen = StaleBanner._first_seen = (snapshot, self._now())
        self._snapshot, self._shown_at = seen
        self._tick()
        if self._timer is None:
            self._timer = self.set_interval(1.0, self._tick)
        self.add_class("-shown")

    def countdown(self) -> str:
        """`stale 12 s · retrying in 4 s` for the snapshot shown (moves each second)."""
        snapshot = self._snapshot
        if snapshot is None or self._shown_at is None:
            return ""
        since = (self._now() - self._shown_at).total_seconds()
        parts = []
        if snapshot.last_success is not None:
            age = (snapshot.taken_at - snapshot.last_success).total_seconds() + since
            parts.append(f"stale {seconds(age)}")
        if snapshot.retry_in is not None:
            left = snapshot.retry_in - since
            parts.append(f"retrying in {seconds(left, up=True)}" if left > 0 else "retrying now…")
        return " · ".join(parts)

    def _tick(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        last = clock_time(snapshot.last_success)
        reason = one_line(snapshot.error, 160) or "no answer"
        countdown = self.countdown()
        self.update(
            f"Proxmox is not answering: {reason}. Last successful refresh: {last}"
            + (f" ({countdown})" if countdown else "")
            + ". The figures below are from then; ctrl+l tries again now."
        )
