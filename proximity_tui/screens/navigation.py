"""Moving between screens: the mode keys, `q` (back, or quit on a list), quitting with
operations in flight, help, and opening detail, the deploy form and progress screens.

The App's actions and `open_*` methods delegate here, so `app.py` keeps only the link to the
services and the live data.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.screen import ModalScreen

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp


class Navigator:
    def __init__(self, app: ProximityApp) -> None:
        self.app = app

    async def mode(self, mode: str) -> None:
        app = self.app
        if app.services is None or not app._loaded:
            # On the Apps table painted from the database: switch once the services have listed
            # the apps, and the keys typed after this one wait for it (screens/type_ahead.py).
            app.type_ahead.defer(partial(self.mode, mode))
            return
        if app.current_mode != mode:
            await app.switch_mode(mode)
        # k9s's `:pods`: a mode key lands on the list, not on a progress or detail screen left
        # open there (a modal question stays: a worker waits for its answer)
        while len(app.screen_stack) > 1 and not isinstance(app.screen, ModalScreen):
            await app.pop_screen()

    async def back(self) -> None:
        """`q` (k9s, lazydocker): close the screen pushed on the mode's list, or on the list
        itself quit (asking first while operations run)."""
        app = self.app
        if len(app.screen_stack) > 1:
            screen = app.screen
            # a screen's own way back (the form's cancel, progress's back) keeps its rules
            for action in ("back", "back_done", "cancel", "close"):
                if hasattr(screen, f"action_{action}") and await app.run_action(action, screen):
                    return
            await app.pop_screen()
            return
        await self.quit()

    def running_summary(self) -> str:
        """The operations in flight, as "1 deploy" or "2 operations" ("" when none)."""
        services = self.app.services
        running = services.apps.running_kinds() if services is not None else []
        if not running:
            return ""
        kinds = set(running)
        kind = kinds.pop() if len(kinds) == 1 else "operation"
        return f"{len(running)} {kind}{'s' if len(running) != 1 else ''}"

    async def quit(self) -> None:
        """With operations in flight, say that quitting waits for them, and ask first."""
        from proximity_tui.screens.confirm import ConfirmScreen

        app = self.app
        summary = self.running_summary()
        if not summary or isinstance(app.screen, ConfirmScreen):
            app.exit()
            return
        verb = "is" if summary.startswith("1 ") else "are"
        them = "it" if summary.startswith("1 ") else "them"

        def answered(quit_: bool | None) -> None:
            if quit_:
                app.exit()

        app.push_screen(
            ConfirmScreen(
                f"{summary} {verb} running. Quit?",
                note=f"Quitting waits for {them} to finish (ctrl+c then cancels {them}).",
                confirm_label="Quit",
            ),
            answered,
        )

    def help(self) -> None:
        from proximity_tui.screens.help import HelpScreen

        app = self.app
        if isinstance(app.screen, HelpScreen):
            app.screen.dismiss()
            return
        app.push_screen(HelpScreen(app.screen))

    def open_app(self, app_id: str, *, tab: str | None = None) -> None:
        from proximity_tui.screens.app_detail import AppDetailScreen

        app = self.app
        if app_id not in app.apps:
            app.notify(f"App not found: {app_id}", severity="warning", markup=False)
            return
        app.selected_app_id = app_id
        app.push_screen(AppDetailScreen(app_id, tab=tab))

    def open_deploy_form(self, catalog_id: str) -> None:
        from proximity_tui.screens.deploy_form import DeployFormScreen

        app = self.app
        services = app.ready_services
        if not services.can_change:
            app.notify("Read-only: deploying is disabled.", severity="warning")
            return
        try:
            entry = services.catalog.get(catalog_id)
        except Exception as exc:
            app.notify(str(exc), severity="error", markup=False)
            return

        def deployed(op_id: int | None) -> None:
            if op_id is not None:
                self.open_progress(op_id)

        app.push_screen(DeployFormScreen(entry), deployed)

    def open_progress(self, op_id: int) -> None:
        from proximity_tui.screens.deploy_progress import DeployProgressScreen

        self.app.push_screen(DeployProgressScreen(op_id))
