"""Base for screens that follow live data: registered with the App while mounted.

The App calls these hooks on its own loop (never from the service thread):
`snapshot_applied` after each monitor snapshot, `apps_applied` after app views changed for another
reason (a fresh list, an action's result), `operation_events` with a batch of operation events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

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
    pass
