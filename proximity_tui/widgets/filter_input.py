"""The `/` filter box used on every filterable screen.

Typing narrows the list (the screen listens to `Input.Changed`); `Enter` moves to the best match in
the list; `Escape` clears the filter and returns to the list. The screen passes the list widget.
"""

from __future__ import annotations

import sys

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input


#: The `/` binding of a filterable screen. A priority binding runs while the app reads its key
#: queue, so the box has focus before the next key is handed on: keys typed in one burst after `/`
#: (a laggy SSH link delivers them so) land in the box. A screen binding would run later, from
#: the list's own queue, after those keys had already gone to the list and been dropped.
def slash_binding(action: str, description: str, binding_id: str) -> Binding:
    return Binding("slash", action, description, id=binding_id, priority=True)


def typing(screen: Widget) -> bool:
    """A text field has focus: `/` is a character there, not the filter key."""
    focused = screen.screen.focused
    if isinstance(focused, Input):
        return True
    # Not imported here: TextArea brings tree-sitter, and the footer asks this before the first
    # paint. Until a screen that shows one has imported it, no focused widget can be a TextArea.
    text_area = sys.modules.get("textual.widgets._text_area")
    return text_area is not None and isinstance(focused, text_area.TextArea)


class FilterInput(Input):
    DEFAULT_CSS = """
    FilterInput { height: 3; border: tall $accent; }
    """

    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", show=True)]

    def __init__(self, target: str, placeholder: str = "filter…", **kwargs) -> None:
        super().__init__(placeholder=placeholder, **kwargs)
        #: CSS selector of the list this filter narrows (focused on Enter / Escape).
        self.target = target

    def on_mount(self) -> None:
        self.display = False

    def open(self) -> None:
        # Shown and focused synchronously (`focus()` is deferred): the keys typed right after
        # `/` must land here, not in the list.
        self.display = True
        self.screen.set_focus(self)

    def _target(self) -> Widget | None:
        try:
            return self.screen.query_one(self.target)
        except Exception:
            return None

    def _leave(self) -> None:
        # Synchronously (not `focus()`, which is deferred): a key typed right after Enter or
        # Escape must reach the list, not this box.
        if (target := self._target()) is not None:
            self.screen.set_focus(target)

    def action_clear_filter(self) -> None:
        self.value = ""
        self.display = False
        self._leave()

    async def action_submit(self) -> None:
        await super().action_submit()
        if not self.value:
            self.display = False
        self._leave()
