"""The dashboard: `ProximityApp` and `make_app(services, settings)`, used by the CLI and the tests.

The App owns the link to the services: it subscribes to the monitor's snapshots and to operation
events (both arrive on the service thread and are forwarded as messages), keeps the latest known
apps and snapshot, and hands changes to the screens that registered as listeners. Everything that
changes the world goes through `services.run(...)` so it runs on the service loop and outlives the
UI; screens never hold the only reference to an operation.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import events, work
from textual._dispatch_key import dispatch_key
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.widget import AwaitMount, Widget

from proximity_tui import glyphs
from proximity_tui.messages import (
    AppsLoaded,
    EventBuffer,
    OperationEventsArrived,
    ServicesReady,
    SnapshotArrived,
)
from proximity_tui.providers import PALETTE_PROVIDERS
from proximity_tui.screens.actions import ActionRunner
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.connect_app import ConnectApp, make_connect_app
from proximity_tui.screens.key_hints import KeyHints
from proximity_tui.screens.navigation import Navigator
from proximity_tui.screens.notices import Notices
from proximity_tui.screens.peers import PeerWatch
from proximity_tui.screens.startup import SCREENS_CSS, Startup
from proximity_tui.screens.theme_store import ThemeStore
from proximity_tui.screens.type_ahead import TypeAhead
from proximity_tui.text import printable, printable_lines
from proximity_tui.widgets import ascii_display, safe_text
from proximity_tui.widgets.filter_input import typing

if TYPE_CHECKING:
    from textual.screen import Screen

    from proximity_tui.config import Settings
    from proximity_tui.screens.live import LiveMixin, LiveScreen
    from proximity_tui.services.bootstrap import Services
    from proximity_tui.services.doctor import Report
    from proximity_tui.services.events import OperationEvent
    from proximity_tui.views import AppView, StatusSnapshot

__all__ = ["ConnectApp", "ProximityApp", "make_app", "make_connect_app"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _styled_now(screen: LiveScreen) -> LiveScreen:
    """A mode's new screen, marked as styled with the current stylesheet.

    Textual re-parses the whole stylesheet twice when a mode's first screen is created (once in
    `_init_mode`, once in `switch_mode`) because a new screen's update count is never current.
    Neither parse is needed: the screen is not mounted yet, and mounting it applies the
    stylesheet to its widgets (adding their DEFAULT_CSS). A theme change still refreshes it.
    With 1,000 apps that is a tenth of the start-up's CPU (BENCHMARKS.md, start to Apps)."""
    screen._css_update_count = screen.app._css_update_count
    screen.styles_fresh = True  # nor do its first resumes restyle it (LiveScreen)
    return screen


# Screens the first frame does not need are imported when first opened (start-up time).
def _catalog_screen() -> Screen:
    from proximity_tui.screens.catalog import CatalogScreen

    return _styled_now(CatalogScreen())


def _apps_screen() -> Screen:
    return _styled_now(AppsScreen())


def _operations_screen() -> Screen:
    from proximity_tui.screens.operations import OperationsScreen

    return _styled_now(OperationsScreen())


def _prompt_open(screen: Screen) -> bool:
    """Whether `screen` is the `:` prompt. Its module is imported on the first `:` (start-up
    time), so while it is not imported there is no prompt."""
    module = sys.modules.get("proximity_tui.screens.command_mode")
    return module is not None and isinstance(screen, module.CommandModeScreen)


#: Key symbols Textual (or a binding) shows, as words for the ASCII mode.
KEY_WORDS = {
    "⏎": "enter",
    "⇥": "tab",
    "␣": "space",
    "⌫": "bksp",
    "⎋": "esc",
    "↑": "up",
    "↓": "down",
    "←": "left",
    "→": "right",
}


class ProximityApp(App[int]):
    TITLE = "Proximity"
    CSS_PATH = "app.tcss"
    MODES = {"catalog": _catalog_screen, "apps": _apps_screen, "operations": _operations_screen}
    COMMANDS = App.COMMANDS | set(PALETTE_PROVIDERS)

    BINDINGS = [
        Binding("1", "mode('catalog')", "Catalog", id="mode.catalog"),
        Binding("2", "mode('apps')", "Apps", id="mode.apps"),
        Binding("3", "mode('operations')", "Operations", id="mode.operations"),
        Binding("c", "mode('catalog')", "Catalog", show=False),
        Binding("a", "mode('apps')", "Apps", show=False),
        Binding("o", "mode('operations')", "Operations", show=False),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("f1", "help", "Help", show=False, id="help.f1"),  # also inside text fields
        # k9s / lazydocker: q closes the pushed screen, or quits on a list; a text field types it
        Binding("q", "back", "Back", show=False, id="back"),
        # `:` opens the command prompt; priority (like `/`) so a burst `:apps` lands in it
        Binding("colon", "command_mode", "Command", show=False, id="command", priority=True),
        # k9s refreshes on ctrl+r, which restores a backup in App detail here
        Binding("ctrl+l,f5", "refresh_now", "Refresh now", show=False, id="refresh"),
        # Priority: a focus change must take effect before the next key is routed. Otherwise a
        # burst like `push<Tab><Tab>7` (a laggy SSH link) sends the 7 to the old field, because
        # a non-priority Tab is only acted on after it has bubbled up from that field.
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
    ]

    def __init__(
        self,
        services: Services | None,
        settings: Settings,
        *,
        clock: Clock | None = None,
        services_factory: Callable[[], Services] | None = None,
        handle_sighup: bool = False,
        preload_db: Path | None = None,
    ) -> None:
        safe_text.install()  # no outside text reaches the terminal raw (widgets/safe_text.py)
        super().__init__()
        #: None until built (the Apps table may be painted from the database before that).
        self.services: Services | None = services
        self.settings = settings
        self.clock: Clock = clock or utc_now
        #: Paints from the database first, then builds the services (`screens/startup.py`).
        self.startup = Startup(self, services_factory, preload_db)
        if not self.startup.preloading:  # else read once the Apps table is painted
            self.css_path.append(SCREENS_CSS)
        self._handle_sighup = handle_sighup
        #: The apps as last known (database + monitor), by id.
        self.apps: dict[str, AppView] = {}
        self.snapshot: StatusSnapshot | None = None
        #: The app the user is looking at (apps table cursor or detail screen), for the palette.
        self.selected_app_id: str | None = None
        #: Deploy steps by operation id, from the plan the form showed (the progress checklist).
        self.plans: dict[int, tuple[tuple[str, str], ...]] = {}
        self.hung_up = False
        #: What the start said of operations a dropped session left running (None: not asked yet).
        self.while_away: list[str] | None = None
        #: Why the services could not be built (the CLI prints it after the UI is gone).
        self.startup_error: Exception | None = None
        self.actions = ActionRunner(self)
        #: Other dashboards on the same database (the header's badge).
        self.peers = PeerWatch(self)
        self.navigator = Navigator(self)
        self.notices = Notices(self)
        self.themes = ThemeStore(self)
        self.key_hints = KeyHints(self)
        #: Keys typed before the first screen is up, kept for it.
        self.type_ahead = TypeAhead(self)
        self._events = EventBuffer()
        self._listeners: list[LiveMixin] = []
        self._unsubscribe: list[Callable[[], None]] = []
        #: Whether the first full list arrived (the mode keys wait for it).
        self._loaded = False
        self._save_theme = False
        if settings.ui.theme in self.available_themes:
            self.theme = settings.ui.theme
        ascii_display.install(self, settings.ui.ascii)

    @property
    def ready_services(self) -> Services:
        """The services, for code that only runs once they exist (every screen but the Apps
        table painted at start-up, which checks `services` itself)."""
        if self.services is None:
            raise RuntimeError("the services are still starting")
        return self.services

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification's text made printable: most carry an error from outside."""
        super().notify(
            printable_lines(message),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    # --- start-up ---------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return self.startup.default_screen()

    async def on_event(self, event: events.Event) -> None:
        if not self.type_ahead.keep(event):  # typed while starting: kept for the first screen
            await super().on_event(event)

    def on_mount(self) -> None:
        if self._handle_sighup:
            with suppress(NotImplementedError, RuntimeError, ValueError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._hang_up)
        self._save_theme = True
        self.startup.begin()

    async def on_services_ready(self, _: ServicesReady) -> None:
        await self.startup.services_ready()

    def table_painted(self) -> None:
        """The apps screen painted its table for the first time."""
        self.startup.table_painted()

    # --- host check (doctor) ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.services is not None:
            yield SystemCommand(
                "Host check", "What the Proxmox host lacks and how to fix it", self.action_doctor
            )
            if self.services.can_change:
                yield SystemCommand(
                    "Adopt containers",
                    "Record the apps of tagged CTs this database does not know (asks first)",
                    self.actions.adopt,
                )

    def action_doctor(self, report: Report | None = None) -> None:
        from proximity_tui.screens.doctor import DoctorScreen

        if self.services is not None and not isinstance(self.screen, DoctorScreen):
            self.push_screen(DoctorScreen(self._run_doctor, report))

    async def _run_doctor(self) -> Report:
        services = self.ready_services
        return await services.run(services.doctor())

    @work(group="auto-doctor", exit_on_error=False)
    async def auto_doctor(self) -> None:
        """At start, show the checklist only when something the product needs fails."""
        try:
            report = await self._run_doctor()
        except Exception:  # noqa: BLE001 - the dashboard works without it
            return
        if not report.ok:
            self.action_doctor(report)

    def subscribe(self, services: Services) -> None:
        self._unsubscribe.append(services.monitor.snapshots.subscribe(self._snapshot_from_thread))
        self._unsubscribe.append(services.apps.events.subscribe(self._event_from_thread))
        self.snapshot = services.monitor.latest
        self.load_apps()
        for note in getattr(services, "recovery_notes", ()):  # what start-up recovery did (or not)
            self.notify(note, title="Interrupted operation", severity="warning", timeout=20)
        self.notices.while_away()

    def _snapshot_from_thread(self, snapshot: StatusSnapshot) -> None:
        self.post_message(SnapshotArrived(snapshot))

    def _event_from_thread(self, event: OperationEvent) -> None:
        if self._events.add(event):
            self.post_message(OperationEventsArrived())

    @work(group="load-apps", exclusive=True, exit_on_error=False)
    async def load_apps(self) -> None:
        """Read the apps (database merged with the latest snapshot) on the service loop."""
        try:
            services = self.ready_services
            apps = await services.run(services.apps.list_apps())
        except Exception as exc:  # shown, never fatal: the monitor will bring data later
            self.notify(f"Could not read the apps: {exc}", severity="error", markup=False)
            apps = []
        self.post_message(AppsLoaded(apps))

    async def on_apps_loaded(self, message: AppsLoaded) -> None:
        fresh = {a.id: a for a in message.apps}
        removed = set(self.apps) - set(fresh)
        changed = {i for i, a in fresh.items() if self.apps.get(i) != a}
        self.apps = fresh
        if message.preliminary:
            await self.startup.apps_preloaded()
            return
        first = not self._loaded
        self._loaded = True
        if first and self.current_mode != "apps":
            busy = bool(self.ready_services.apps.running_operations())  # e.g. the demo's seeds
            await self.startup.show_first("apps" if self.apps or busy else "catalog")
            return
        self._notify_apps(changed, removed)
        if first:
            await self.type_ahead.release()  # a mode key pressed while the services started

    def switch_mode(self, mode: str) -> AwaitMount:
        """Textual's, except while the app shuts down: then no new mode's screen is made. A
        mode key, or the start-up's first screen, can race a quit; Textual's shutdown walks the
        modes' screen stacks across awaits (`App._close_all`), and a stack added meanwhile ended
        the session with "dictionary changed size during iteration"."""
        if not self._running:
            return AwaitMount(cast("Widget", self), [])  # no widgets: nothing awaited
        return super().switch_mode(mode)

    def _handle_exception(self, error: Exception) -> None:
        # Quitting while a screen is still being built: Textual prunes its widgets (deepest
        # first) while the screen's on_mount may still look them up. That NoMatches is the
        # teardown's, not a fault to end the session with a traceback; any other error, or one
        # while running, still does.
        from textual.css.query import NoMatches

        if isinstance(error, NoMatches) and not self._running:
            return
        super()._handle_exception(error)

    def on_unmount(self) -> None:
        self.startup.resume_gc()  # the table was never painted
        self.peers.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._handle_sighup:
            with suppress(NotImplementedError, RuntimeError, ValueError):
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    def _hang_up(self) -> None:
        """SIGHUP: the SSH session is gone. Leave at once; the services finish headless."""
        self.hung_up = True
        self.exit(None, 129)

    # --- live data --------------------------------------------------------------------------

    def add_listener(self, listener: LiveMixin) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def remove_listener(self, listener: LiveMixin) -> None:
        with suppress(ValueError):
            self._listeners.remove(listener)

    def on_snapshot_arrived(self, message: SnapshotArrived) -> None:
        snapshot = message.snapshot
        self.snapshot = snapshot
        changed = set(message.changed)
        removed = set(message.removed)
        for app_id in removed:
            self.apps.pop(app_id, None)
        for app_id, view in snapshot.apps.items():
            if app_id in changed or app_id not in self.apps:
                if app_id not in self.apps:
                    changed.add(app_id)
                self.apps[app_id] = view
        for listener in list(self._listeners):
            listener.snapshot_applied(snapshot, changed, removed)
        if snapshot.ok and snapshot.orphans:
            self.notices.offer_adoption(len(snapshot.orphans))

    def update_apps(self, views: list[AppView], removed: set[str] | None = None) -> None:
        """Apply app views read after an action (before the next snapshot confirms them)."""
        removed = set(removed or ())
        for app_id in removed:
            self.apps.pop(app_id, None)
        for view in views:
            self.apps[view.id] = view
        self._notify_apps({v.id for v in views}, removed)

    def _notify_apps(self, changed: set[str], removed: set[str]) -> None:
        if not changed and not removed:
            return
        for listener in list(self._listeners):
            listener.apps_applied(changed, removed)

    def on_operation_events_arrived(self, _: OperationEventsArrived) -> None:
        events = self._events.drain()
        if not events:
            return
        for listener in list(self._listeners):
            listener.operation_events(events)
        from proximity_tui.services import events as ev

        finished = [e for e in events if e.kind == ev.FINISHED]
        for event in finished:
            self.notices.announce(event)
        if finished:
            self.refresh_status()
        elif any(e.kind == ev.STEP_FINISHED and e.operation in ("deploy", "clone") for e in events):
            self.load_apps()  # a new app's row exists from its reserve step on: show it

    def refresh_status(self) -> None:
        """Ask for a fresh list now (after an operation) and nudge the monitor."""
        self.load_apps()
        if self.services is not None:
            self.services.monitor.refresh_now()  # thread-safe: it only wakes the monitor

    # --- navigation -------------------------------------------------------------------------

    async def action_mode(self, mode: str) -> None:
        await self.navigator.mode(mode)

    async def action_back(self) -> None:
        await self.navigator.back()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "command_mode":  # a character in a text field, and one prompt at a time
            return not typing(self.screen) and not _prompt_open(self.screen)
        # Tab completes in the prompt (its own binding); elsewhere it moves the focus
        return not (action == "focus_next" and _prompt_open(self.screen))

    async def action_command_mode(self) -> None:
        from proximity_tui.screens.command_mode import CommandModeScreen, run_command

        # awaited: the prompt has focus before the next key of a burst is handed on
        await self.push_screen(CommandModeScreen(), partial(run_command, self))

    def action_refresh_now(self) -> None:
        self.refresh_status()
        if self.snapshot is not None and not self.snapshot.ok:
            self.notify("Asking Proxmox again now…", timeout=3)

    def get_key_display(self, binding: Binding) -> str:
        """Textual shows some keys as symbols (⏎ ⇥ ␣ arrows); the ASCII mode names them, so a
        footer on the Proxmox console never reads `? Open` beside `? Help`."""
        shown = super().get_key_display(binding)
        if glyphs.is_ascii():
            shown = "".join(KEY_WORDS.get(c, c) for c in shown)
        return shown

    async def _on_key(self, event: events.Key) -> None:
        # Textual's App._on_key (not run as well: handlers run along the MRO unless prevented),
        # plus a hint when no binding or handler took the key
        event.prevent_default()
        if not await self._check_bindings(event.key) and not await dispatch_key(self, event):
            self.key_hints.unbound(event.key, event.character)

    def running_summary(self) -> str:
        return self.navigator.running_summary()

    async def action_quit(self) -> None:
        await self.navigator.quit()

    def action_help(self) -> None:
        self.navigator.help()

    def open_app(self, app_id: str, *, tab: str | None = None) -> None:
        self.navigator.open_app(app_id, tab=tab)

    def open_deploy_form(self, catalog_id: str) -> None:
        self.navigator.open_deploy_form(catalog_id)

    def open_progress(self, op_id: int) -> None:
        self.navigator.open_progress(op_id)

    # --- theme ------------------------------------------------------------------------------

    @property
    def theme_saved(self) -> bool:
        return self.themes.saved

    def watch_theme(self, theme: str) -> None:
        if self._save_theme:
            self.themes.store(theme)


def make_app(
    services: Services | None,
    settings: Settings,
    *,
    clock: Clock | None = None,
    services_factory: Callable[[], Services] | None = None,
    handle_sighup: bool = False,
    preload_db: Path | None = None,
) -> ProximityApp:
    """The dashboard for `services`, or for what `services_factory` builds in a worker thread
    (after painting the apps read from `preload_db`, when given)."""
    return ProximityApp(
        services,
        settings,
        clock=clock,
        services_factory=services_factory,
        handle_sighup=handle_sighup,
        preload_db=preload_db,
    )
