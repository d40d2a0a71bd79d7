"""The status monitor's pace follows whether anyone can watch the live figures (issue 19).

The figures (status, CPU, memory) are shown by the Apps screen and an app's detail. While neither
is the screen up, or the terminal has lost focus (as far as Textual knows: terminals that report
focus, tmux with `focus-events on`; a key or a click counts as focus again), the monitor relaxes
to one tick per pvestatd round (`status.RELAXED_INTERVAL`) instead of every `refresh` seconds; it
keeps ticking (statuses in the database stay current, a recovering Proxmox is noticed) and any
tick an action asks for still comes at once. When such a screen is up again in a focused
terminal, the monitor ticks at once and resumes its pace: the figures are current when looked at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from textual.app import App


def pace_monitor(app: App) -> None:
    """Relax the monitor unless the terminal has focus and the screen up shows live figures."""
    services = getattr(app, "services", None)
    if services is None:  # painted from the database, services still starting: nothing to pace
        return
    watched = app.app_focus and getattr(app.screen, "shows_live_figures", False)
    services.monitor.relax(not watched)


class WatchesFigures:
    """Mixed into the screens that show live figures (before `LiveMixin`)."""

    shows_live_figures: ClassVar[bool] = True

    def on_mount(self) -> None:
        app = self.app  # type: ignore[attr-defined]
        self.watch(app, "app_focus", lambda _: pace_monitor(app), init=False)  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        pace_monitor(self.app)  # type: ignore[attr-defined]

    def on_screen_suspend(self) -> None:
        app = self.app  # type: ignore[attr-defined]
        app.call_later(pace_monitor, app)  # once the screen that replaces this one is up
