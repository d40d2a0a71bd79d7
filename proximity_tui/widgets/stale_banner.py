"""A banner shown while Proxmox is not answering: the error and when data was last fresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from proximity_tui.widgets.format import clock_time, one_line

if TYPE_CHECKING:
    from proximity_tui.views import StatusSnapshot


class StaleBanner(Static):
    DEFAULT_CSS = """
    StaleBanner {
        display: none; height: auto; padding: 0 1;
        background: $error 30%; color: $text; border-left: thick $error;
    }
    StaleBanner.-shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)

    def show_snapshot(self, snapshot: StatusSnapshot | None) -> None:
        if snapshot is None or snapshot.ok:
            self.remove_class("-shown")
            return
        last = clock_time(snapshot.last_success)
        reason = one_line(snapshot.error, 160) or "no answer"
        self.update(
            f"Proxmox is not answering: {reason}. Last successful refresh: {last}. "
            "The figures below are from then; retrying in the background."
        )
        self.add_class("-shown")
