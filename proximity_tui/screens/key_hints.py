"""Unbound keys are not silent (k9s, lazydocker): a key nothing on the current screen handles
gets a short line, "x: no such key here · ? for help", at most one every `quiet` seconds.

Keys typed into a text field never get one (the field owns them), nor modifier keys alone
(terminals with the kitty protocol report them), nor Escape (pressed by reflex).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from proximity_tui.widgets.filter_input import typing

if TYPE_CHECKING:
    from textual.app import App

_MODIFIER = re.compile(
    r"(left_|right_)?(shift|ctrl|control|alt|meta|super|hyper)|caps_lock|num_lock|scroll_lock"
    r"|iso_level\d_shift"
)
_SILENT = {"escape", "tab", "shift+tab"}

#: Reveal secrets, the same key in the deploy form and App detail. A ctrl key because the form's
#: text fields take letters; not ctrl+v (paste) nor ctrl+e (end of line) in a field, nor ctrl+r
#: (restore in App detail); ctrl+t is no terminal's or tmux's by default.
REVEAL_KEY = "ctrl+t"


class KeyHints:
    #: Seconds after a hint during which no other one is shown.
    quiet = 3.0

    def __init__(self, app: App) -> None:
        self.app = app
        self._last = float("-inf")

    def unbound(self, key: str, character: str | None) -> None:
        """`key` reached the App and no binding or handler took it."""
        if key in _SILENT or _MODIFIER.fullmatch(key):
            return
        if typing(self.app.screen):  # the field owns its keys
            return
        now = time.monotonic()
        if now - self._last < self.quiet:
            return
        self._last = now
        bound = key in self.app.screen.active_bindings  # bound, but not available now
        printable = character is not None and character.isprintable() and not character.isspace()
        name = character if printable and character else key  # `!`, not exclamation_mark
        what = "does nothing here now" if bound else "no such key here"
        self.app.notify(f"{name}: {what} · ? for help", timeout=3, markup=False)
