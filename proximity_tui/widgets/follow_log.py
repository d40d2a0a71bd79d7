"""A plain-text log that keeps following its end across resizes, read with the vim keys.

Textual's `Log` scrolls to new lines only while it is scrolled to the end; a resize moves that
end (a shorter pane has more to scroll) without moving the view, so the log silently stopped
following. This one remembers whether the reader was at the end and stays there after a resize;
`G` goes to the end and so follows again.
"""

from __future__ import annotations

from textual.events import Resize

from proximity_tui.widgets.safe_text import SafeLog
from proximity_tui.widgets.vim_keys import SCROLL_KEYS


class FollowLog(SafeLog):  # its lines come from outside: made printable
    BINDINGS = SCROLL_KEYS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._at_end = True

    @property
    def following(self) -> bool:
        return self._at_end

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._at_end = new_value >= self.max_scroll_y

    def on_resize(self, _: Resize) -> None:
        if self._at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
