"""The `/` filter box used on every filterable screen.

Typing narrows the list (the screen listens to `Input.Changed`); `Enter` moves to the best match in
the list; `Escape` clears the filter and returns to the list. The screen passes the list widget.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input


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
