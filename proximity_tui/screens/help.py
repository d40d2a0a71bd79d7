"""The `?` overlay: every binding of the screen it was opened on, grouped by where it applies."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

NAMES = {"question_mark": "?", "space": "space", "slash": "/", "escape": "esc", "enter": "enter"}


def key_name(key: str) -> str:
    return ", ".join(NAMES.get(k, k) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.rows = self._rows(under)
        self.under_name = type(under).__name__.removesuffix("Screen")

    @staticmethod
    def _rows(under: Screen) -> list[tuple[str, str, bool]]:
        rows: list[tuple[str, str, bool]] = []
        seen: set[str] = set()
        for key, active in under.active_bindings.items():
            binding = active.binding
            from_widget = active.node is not under and active.node is not under.app
            if binding.system or key in seen or (from_widget and not binding.show):
                continue
            seen.add(key)
            description = binding.description or binding.action
            if binding.action == "command_palette":
                description = "Command palette"
            rows.append((key_name(key), description, active.enabled))
        if "ctrl+p" not in seen:
            rows.append(("ctrl+p", "Command palette", True))
        rows.append(("arrows", "Move; tab / shift+tab: next / previous pane", True))
        rows.append(("j k g G", "Down, up, top, bottom in lists; ctrl+d / ctrl+u: page", True))
        return rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold", min_width=10)
        table.add_column()
        for key, description, enabled in self.rows:
            style = "" if enabled else "dim"
            note = "" if enabled else "  (not available now)"
            table.add_row(key, description + note, style=style)
        with Vertical(classes="dialog", id="help"):
            yield Label(f"Keys on {self.under_name}", id="title")
            with VerticalScroll():
                yield Static(table)
            yield Label("esc or ? to close", classes="note")

    def action_close(self) -> None:
        self.dismiss()
