"""The theme chosen in the palette, kept for the next start when there is a config to keep it in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp


class ThemeStore:
    def __init__(self, app: ProximityApp) -> None:
        self.app = app

    @property
    def saved(self) -> bool:
        """Whether a theme chosen now is kept for the next start (the demo writes no config)."""
        settings = self.app.settings
        path = settings.config_path
        return path is not None and path.exists() and not settings.demo

    def store(self, theme: str) -> None:
        self.app.run_worker(
            lambda: self._store(theme),
            thread=True,
            group="save-theme",
            exclusive=True,
            exit_on_error=False,
        )

    def _store(self, theme: str) -> None:
        from proximity_tui.config import save_config_values

        settings = self.app.settings
        settings.ui.theme = theme
        path = settings.config_path
        # Only into an existing config: creating one would make the next start skip the
        # connect screen with default connection settings. The demo never writes the user's.
        if not self.saved or path is None:
            return
        try:
            save_config_values(path, {"ui.theme": theme})
        except Exception as exc:
            self.app.call_from_thread(
                self.app.notify,
                f"Could not save the theme: {exc}",
                severity="warning",
                markup=False,
            )
