"""What shows while the services start (before any apps could be read): never a blank terminal."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Label, LoadingIndicator


class StartingScreen(Screen[None]):
    DEFAULT_CSS = """
    StartingScreen Label { color: $text-muted; }
    StartingScreen LoadingIndicator { height: 1; width: 20; }
    """

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Label(f"◆ Proximity: connecting to {self.where}…", markup=False)
        with Center():
            yield LoadingIndicator()

    # A LoadingIndicator repaints 16 times a second by its own timer, visible or not: this screen
    # stays on the stack of the mode it was shown in once the dashboard opens another mode.
    def on_screen_suspend(self) -> None:
        self.query_one(LoadingIndicator).auto_refresh = None

    def on_screen_resume(self) -> None:
        self.query_one(LoadingIndicator).auto_refresh = 1 / 16
