"""Vim-style movement for the lists and tables: j/k, g/G, ctrl+d/ctrl+u.

Arrows, Home/End and PageUp/PageDown keep working; these are additions, hidden from the footer
(the help overlay lists them). One module, because the widgets differ only in action names.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, OptionList


def _vim(top: str, bottom: str) -> list[BindingType]:
    return [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", top, "Top", show=False),
        Binding("G", bottom, "Bottom", show=False),
        Binding("ctrl+d", "page_down", "Page down", show=False),
        Binding("ctrl+u", "page_up", "Page up", show=False),
    ]


class VimDataTable(DataTable):
    BINDINGS = _vim("scroll_top", "scroll_bottom")


class VimOptionList(OptionList):
    BINDINGS = _vim("first", "last")


#: j/k, g/G, ctrl+d/u for anything that scrolls (a text pane, a log).
SCROLL_KEYS: list[BindingType] = [
    Binding("j", "scroll_down", "Down", show=False),
    Binding("k", "scroll_up", "Up", show=False),
    Binding("g", "scroll_home", "Top", show=False),
    Binding("G", "scroll_end", "Bottom", show=False),
    Binding("ctrl+d", "page_down", "Page down", show=False),
    Binding("ctrl+u", "page_up", "Page up", show=False),
]


class VimScroll(VerticalScroll):
    """A focusable text pane (e.g. the catalog entry's detail) read with the same keys."""

    BINDINGS = SCROLL_KEYS
