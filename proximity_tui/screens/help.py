"""The `?` / F1 overlay: the keys of the screen it was opened on, then the keys of every screen.

Textual's own plumbing (focus cycling, copy) is left out; the keys that widgets handle without a
binding the screen can see (Enter in a list, the vim-style movement) are listed by hand.
"""

from __future__ import annotations

import re

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from proximity_tui.widgets.vim_keys import VimScroll

NAMES = {
    "question_mark": "?",
    "space": "space",
    "slash": "/",
    "ampersand": "&",
    "escape": "esc",
    "enter": "enter",
    "f1": "F1",
    "colon": ":",
    "f5": "F5",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
}
#: Screens by class name, as the user knows them (a screen may also set `HELP_TITLE`).
TITLES = {
    "AppsScreen": "Apps",
    "AppDetailScreen": "App detail",
    "CatalogScreen": "Catalog",
    "OperationsScreen": "Operations",
    "DeployFormScreen": "Deploy form",
    "DeployProgressScreen": "Operation progress",
    "ConfirmScreen": "Confirmation",
}
#: Textual's bindings, not ours: focus cycling and copying selected text.
INTERNAL = {"app.focus_next", "app.focus_previous", "screen.copy_text", "help_quit"}
#: The log's keys that the footer leaves out (`FollowLog`; `w` and `/` are in the footer).
LOG_KEYS = [
    ("n N", "Next, previous match of a / search (holds the log still)"),
    ("G", "Log: to the end, following again"),
]
#: Keys a screen's widgets handle (so not in its bindings), by screen class name.
EXTRA: dict[str, list[tuple[str, str]]] = {
    "AppsScreen": [
        ("enter", "Open the app (a running deploy: its progress)"),
        ("X R", "Stop, restart: asks first while it runs"),
    ],
    "CatalogScreen": [
        ("enter", "Deploy the highlighted entry (like d)"),
        ("tab", "Next pane: categories, filter, list, detail"),
        ("← →", "Categories / entries"),
        ("✔ ✖ ⚠", "Fits on a node now / fits on none / has warnings"),
    ],
    "AppDetailScreen": [("tab", "Next pane ([ and ] switch tabs from anywhere)"), *LOG_KEYS],
    "DeployProgressScreen": LOG_KEYS,
    "OperationsScreen": [("enter", "Open the operation's steps and log")],
    "DeployFormScreen": [("tab", "Next field"), ("enter", "Deploy (in a text field)")],
}
#: App-wide bindings listed once, in EVERYWHERE, rather than as the screen's own.
SHARED_IDS = {"back", "command", "refresh"}
EVERYWHERE = [
    ("1 2 3", "Catalog, Apps, Operations (also c, a, o): always their list"),
    (":", "Command: :apps :catalog :ops :deploy NAME :open HOST :help :q (Tab completes)"),
    ("q", "Back (closes detail, progress, a form); on a list, quit"),
    ("ctrl+l F5", "Refresh the status now"),
    ("j k", "Down, up in lists, tables and panes"),
    ("g G", "Top, bottom"),
    ("ctrl+d ctrl+u", "Page down, page up"),
    ("ctrl+p", "Command palette: jump to an app, deploy, act, theme"),
    ("? or F1", "This help (F1 also in text fields)"),
    ("ctrl+q", "Quit (operations in flight finish first)"),
    ("y esc", "Answer a question: yes, no"),
]


def key_name(key: str) -> str:
    return ", ".join(NAMES.get(k, k) for k in key.split(","))


def screen_title(screen: Screen) -> str:
    title = getattr(screen, "HELP_TITLE", None) or TITLES.get(type(screen).__name__)
    if title:
        return title
    words = re.findall(r"[A-Z][a-z0-9]*", type(screen).__name__.removesuffix("Screen"))
    return " ".join(words).capitalize() or "this screen"


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("f1", "close", "Close", show=False),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under_name = screen_title(under)
        self.rows = self._rows(under)

    @staticmethod
    def _rows(under: Screen) -> list[tuple[str, str, bool]]:
        rows: list[tuple[str, str, bool]] = []
        seen: set[str] = set()
        for key, active in under.active_bindings.items():
            binding = active.binding
            from_widget = active.node is not under and active.node is not under.app
            if (
                binding.system
                or binding.action in INTERNAL
                or "mode(" in binding.action  # one row for 1 2 3 below
                or binding.action in ("help", "app.help", "command_palette", "quit")
                or binding.id in SHARED_IDS
                or key in seen
                or (from_widget and not binding.show)
            ):
                continue
            seen.add(key)
            # A footer label shortened for a narrow terminal keeps its long one as the tooltip.
            label = binding.tooltip or binding.description or binding.action
            rows.append((key_name(key), label, active.enabled))
        for key, description in EXTRA.get(type(under).__name__, []):
            if key not in seen:
                rows.append((key, description, True))
        rows.extend((key, description, True) for key, description in EVERYWHERE)
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
            yield Label(f"Keys on {self.under_name}", id="title", markup=False)
            with VimScroll():
                yield Static(table)
            yield Label("esc, ? or F1 to close", classes="note")

    def action_close(self) -> None:
        self.dismiss()
