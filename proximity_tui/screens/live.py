"""Base for screens that follow live data: registered with the App while mounted.

The App calls these hooks on its own loop (never from the service thread):
`snapshot_applied` after each monitor snapshot, `apps_applied` after app views changed for another
reason (a fresh list, an action's result), `operation_events` with a batch of operation events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import events
from textual.screen import Screen

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp
    from proximity_tui.services.bootstrap import Services
    from proximity_tui.services.events import OperationEvent
    from proximity_tui.views import StatusSnapshot


class LiveMixin:
    """Mixed into a `Screen` (or `ModalScreen`) subclass."""

    @property
    def papp(self) -> ProximityApp:
        return cast("ProximityApp", self.app)  # type: ignore[attr-defined]

    @property
    def services(self) -> Services:
        """The services; a screen that can show before they exist checks `services_ready`."""
        return self.papp.ready_services

    @property
    def services_ready(self) -> bool:
        return self.papp.services is not None

    def on_mount(self) -> None:
        self.papp.add_listener(self)

    def on_unmount(self) -> None:
        self.papp.remove_listener(self)

    def snapshot_applied(
        self, snapshot: StatusSnapshot, changed: set[str], removed: set[str]
    ) -> None:
        self.apps_applied(changed, removed)

    def apps_applied(self, changed: set[str], removed: set[str]) -> None:
        pass

    def operation_events(self, events: list[OperationEvent]) -> None:
        pass


class LiveScreen(LiveMixin, Screen):
    #: A mode's new screen (`app._styled_now`) until it is first suspended: each of its widgets
    #: was styled as it mounted, with the stylesheet as it is now.
    styles_fresh = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Entering a mode the first time, Textual posts the new screen two resumes, each
        styling the whole screen again (a tenth of the Apps screen's start-up CPU) for nothing:
        no class, stylesheet or theme changed since its widgets were styled, and changes while
        a screen is shown restyle what they touch. Once suspended, or if the stylesheet changed
        (`_css_update_count`), a resume restyles as Textual does. Runs before Textual's own
        handler (`Screen._on_screen_resume`, later in the MRO), which reads the flag."""
        if self.styles_fresh and self._css_update_count == self.app._css_update_count:
            event.refresh_styles = False

    def _on_screen_suspend(self) -> None:
        self.styles_fresh = False
