"""First run with no configuration: an App showing the connect screen alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from proximity_tui.widgets import ascii_display, safe_text

if TYPE_CHECKING:
    from proximity_tui.config import Settings
    from proximity_tui.services.bootstrap import Services  # noqa: F401 - in the quoted base


class ConnectApp(App["Services | str | None"]):
    """Exits with the built services (connected), `"demo"` (start the demo) or None (quit)."""

    CSS_PATH = ["../app.tcss", "../screens.tcss"]

    def __init__(self, settings: Settings) -> None:
        safe_text.install()
        super().__init__()
        self.settings = settings
        ascii_display.install(self, settings.ui.ascii)

    def on_mount(self) -> None:
        from proximity_tui.screens.connect import ConnectScreen

        self.push_screen(ConnectScreen(self.settings))


def make_connect_app(settings: Settings) -> ConnectApp:
    return ConnectApp(settings)
