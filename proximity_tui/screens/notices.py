"""What the dashboard says by itself: how a dropped session's operations ended ("while you were
away"), tagged containers no row knows (adopt them?), and a deploy's end when its screen was left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp
    from proximity_tui.services.events import OperationEvent


class Notices:
    def __init__(self, app: ProximityApp) -> None:
        self.app = app
        #: Whether the start-up offer to adopt unknown tagged CTs was made (once per session).
        self.adoption_offered = False

    def while_away(self) -> None:
        """Once, after a dropped session: how the operations it left running ended."""
        self.app.run_worker(self._while_away(), group="while-away", exit_on_error=False)

    async def _while_away(self) -> None:
        app = self.app
        services = app.ready_services
        try:
            lines = await services.run(services.apps.while_away())
        except Exception:  # noqa: BLE001 - the journal keeps it all anyway
            lines = []
        app.while_away = lines
        if lines:
            failed = any(" succeeded" not in line for line in lines)
            app.notify(
                "\n".join(lines),
                title="While you were away",
                severity="warning" if failed else "information",
                timeout=30,
                markup=False,
            )

    def offer_adoption(self, count: int) -> None:
        """At start, tagged CTs no row knows (deployed from another node or database, or a
        lost one): a session that may change things is asked in a modal (`adoption.offer_flow`:
        Adopt / Not now / Never for this cluster); a viewer, or when nothing can be adopted, is
        told how in a notice. Nothing changes before the user says so. Once per session."""
        if self.adoption_offered:
            return
        self.adoption_offered = True
        if self.app.ready_services.can_change and self.app.settings.ui.offer_adoption:
            self.app.run_worker(self._offer(count), group="adoption-offer", exit_on_error=False)
        else:
            self._tell(count)

    async def _offer(self, count: int) -> None:
        from proximity_tui.screens.adoption import offer_flow

        if not await offer_flow(self.app):
            self._tell(count)

    def _tell(self, count: int) -> None:
        them = "it" if count == 1 else "them"
        how = (
            f"A on its row, or ctrl+p → Adopt containers, adopts {them} (asks first)"
            if self.app.ready_services.can_change
            else "only a session that may change things can adopt them"
        )
        self.app.notify(
            f"{count} tagged container{'s' if count != 1 else ''} unknown to this database: {how}.",
            title="Adopt containers?",
            timeout=20,
            markup=False,
        )

    def announce(self, event: OperationEvent) -> None:
        """A deploy ended (the user may have left its screen): say so, with the real cause."""
        if event.operation != "deploy":
            return
        notify = self.app.notify
        name = event.hostname or event.app_id or f"operation {event.op_id}"
        if event.status == "succeeded":
            url = event.extra.get("url") if event.extra else None
            text = f"Deployed {name}" + (f": {url}" if url else "")
            notify(text, title="Deploy finished", markup=False)
        elif event.status == "rolled_back" and "cancelled" in (event.message or ""):
            notify(
                f"Deploy of {name} cancelled; what it started was rolled back",
                title="Deploy cancelled",
                severity="warning",
                markup=False,
            )
        else:
            status = (event.status or "failed").replace("_", " ")
            notify(
                f"Deploy of {name} {status}: {event.message}",
                title="Deploy failed",
                severity="error",
                timeout=12,
                markup=False,
            )
