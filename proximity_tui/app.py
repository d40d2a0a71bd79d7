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
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel

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
from proximity_tui.screens.peers import PeerWatch
from proximity_tui.text import printable, printable_lines
from proximity_tui.widgets import safe_text

if TYPE_CHECKING:
    from textual.screen import Screen

    from proximity_tui.config import Settings
    from proximity_tui.screens.live import LiveMixin
    from proximity_tui.services.bootstrap import Services
    from proximity_tui.services.doctor import Report
    from proximity_tui.services.events import OperationEvent
    from proximity_tui.views import AppView, StatusSnapshot

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# Screens the first frame does not need are imported when first opened (start-up time).
def _catalog_screen() -> Screen:
    from proximity_tui.screens.catalog import CatalogScreen

    return CatalogScreen()


def _operations_screen() -> Screen:
    from proximity_tui.screens.operations import OperationsScreen

    return OperationsScreen()


class ProximityApp(App[int]):
    TITLE = "Proximity"
    CSS_PATH = "app.tcss"
    MODES = {"catalog": _catalog_screen, "apps": AppsScreen, "operations": _operations_screen}
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
        #: Database to paint the apps from before the services exist (see `store/quick_read.py`).
        self._preload_db = preload_db
        #: None until built (the Apps table may be painted from the database before that).
        self.services: Services | None = services
        self.settings = settings
        self.clock: Clock = clock or utc_now
        self._services_factory = services_factory
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
        self._events = EventBuffer()
        self._listeners: list[LiveMixin] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self._loaded = False
        self._build_after_paint = False
        self._save_theme = False
        #: Whether the start-up offer to adopt unknown tagged CTs was made (once per session).
        self._adoption_offered = False
        if settings.ui.theme in self.available_themes:
            self.theme = settings.ui.theme

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

    def get_default_screen(self):
        from proximity_tui.screens.starting import StartingScreen

        px = self.settings.proxmox
        where = "the demo cluster" if self.settings.demo else f"{px.host}:{px.port}"
        return StartingScreen(where)

    def on_mount(self) -> None:
        if self._handle_sighup:
            with suppress(NotImplementedError, RuntimeError, ValueError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._hang_up)
        self._save_theme = True
        self.peers.start(self.settings.db_path)
        if self.services is None and self._services_factory is not None:
            if self._preload_db is not None:
                self._preload()  # paint first, build the services right after
            else:
                self._build_services()
        elif self.services is not None:
            self._subscribe(self.services)

    @work(thread=True, group="preload", exit_on_error=False)
    def _preload(self) -> None:
        from proximity_tui.store.quick_read import read_apps

        apps = read_apps(self._preload_db)
        if apps:
            self.post_message(AppsLoaded(apps, preliminary=True))
        else:
            self.call_from_thread(self._build_services)

    @work(thread=True, group="build-services", exit_on_error=False)
    def _build_services(self) -> None:
        from proximity_tui.errors import ProximityError

        assert self._services_factory is not None
        try:
            services = self._services_factory()
        except ProximityError as exc:
            self.startup_error = exc
            self.call_from_thread(self.exit, None, 1)
            return
        except Exception as exc:  # still one line for the CLI, with the real cause
            self.startup_error = ProximityError(f"cannot start: {type(exc).__name__}: {exc}")
            self.call_from_thread(self.exit, None, 1)
            return
        self.services = services
        self.post_message(ServicesReady())

    async def on_services_ready(self, _: ServicesReady) -> None:
        from proximity_tui.widgets.cluster_header import ClusterHeader

        # Painted before the services existed; a modal may be on top of the screen that has one.
        for screen in self.screen_stack:
            for header in screen.query(ClusterHeader):
                await header.recompose()
        self._subscribe(self.ready_services)
        self._auto_doctor()

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
    async def _auto_doctor(self) -> None:
        """At start, show the checklist only when something the product needs fails."""
        try:
            report = await self._run_doctor()
        except Exception:  # noqa: BLE001 - the dashboard works without it
            return
        if not report.ok:
            self.action_doctor(report)

    def _subscribe(self, services: Services) -> None:
        self._unsubscribe.append(services.monitor.snapshots.subscribe(self._snapshot_from_thread))
        self._unsubscribe.append(services.apps.events.subscribe(self._event_from_thread))
        self.snapshot = services.monitor.latest
        self.load_apps()
        for note in getattr(services, "recovery_notes", ()):  # what start-up recovery did (or not)
            self.notify(note, title="Interrupted operation", severity="warning", timeout=20)
        self._while_away()

    @work(group="while-away", exit_on_error=False)
    async def _while_away(self) -> None:
        """Once, after a dropped session: how the operations it left running ended."""
        services = self.ready_services
        try:
            lines = await services.run(services.apps.while_away())
        except Exception:  # noqa: BLE001 - the journal keeps it all anyway
            lines = []
        self.while_away = lines
        if lines:
            failed = any(" succeeded" not in line for line in lines)
            self.notify(
                "\n".join(lines),
                title="While you were away",
                severity="warning" if failed else "information",
                timeout=30,
                markup=False,
            )

    def table_painted(self) -> None:
        """The apps screen painted its table for the first time."""
        if self._build_after_paint:
            self._build_after_paint = False
            self._build_services()

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
            # The services' imports and connection start once the table is on screen
            # (`table_painted`): started earlier, they would slow that first frame down.
            self._build_after_paint = True
            await self.switch_mode("apps")
            return
        if not self._loaded:
            self._loaded = True
            if self.current_mode != "apps":
                busy = bool(self.ready_services.apps.running_operations())  # e.g. the demo's seeds
                await self.switch_mode("apps" if self.apps or busy else "catalog")
                return
        self._notify_apps(changed, removed)

    def on_unmount(self) -> None:
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
        if snapshot.ok and snapshot.orphans and not self._adoption_offered:
            self._offer_adoption(len(snapshot.orphans))

    def _offer_adoption(self, count: int) -> None:
        """At start, tagged CTs no row knows (deployed from another node or database, or a
        lost one): say how to adopt them. Nothing changes before the user confirms."""
        self._adoption_offered = True
        them = "it" if count == 1 else "them"
        how = (
            f"A on its row, or ctrl+p → Adopt containers, adopts {them} (asks first)"
            if self.ready_services.can_change
            else "only a session that may change things can adopt them"
        )
        self.notify(
            f"{count} tagged container{'s' if count != 1 else ''} unknown to this database: {how}.",
            title="Adopt containers?",
            timeout=20,
            markup=False,
        )

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
            self._announce(event)
        if finished:
            self.refresh_status()
        elif any(e.kind == ev.STEP_FINISHED and e.operation in ("deploy", "clone") for e in events):
            self.load_apps()  # a new app's row exists from its reserve step on: show it

    def _announce(self, event: OperationEvent) -> None:
        """A deploy ended (the user may have left its screen): say so, with the real cause."""
        if event.operation != "deploy":
            return
        name = event.hostname or event.app_id or f"operation {event.op_id}"
        if event.status == "succeeded":
            url = event.extra.get("url") if event.extra else None
            text = f"Deployed {name}" + (f": {url}" if url else "")
            self.notify(text, title="Deploy finished", markup=False)
        elif event.status == "rolled_back" and "cancelled" in (event.message or ""):
            self.notify(
                f"Deploy of {name} cancelled; what it started was rolled back",
                title="Deploy cancelled",
                severity="warning",
                markup=False,
            )
        else:
            status = (event.status or "failed").replace("_", " ")
            self.notify(
                f"Deploy of {name} {status}: {event.message}",
                title="Deploy failed",
                severity="error",
                timeout=12,
                markup=False,
            )

    def refresh_status(self) -> None:
        """Ask for a fresh list now (after an operation) and nudge the monitor."""
        self.load_apps()
        if self.services is not None:
            self.services.monitor.refresh_now()  # thread-safe: it only wakes the monitor

    # --- navigation -------------------------------------------------------------------------

    async def action_mode(self, mode: str) -> None:
        if self.services is None or not self._loaded:
            return
        if self.current_mode != mode:
            await self.switch_mode(mode)
        # k9s's `:pods`: a mode key lands on the list, not on a progress or detail screen left
        # open there (a modal question stays: a worker waits for its answer)
        from textual.screen import ModalScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
            await self.pop_screen()

    def running_summary(self) -> str:
        """The operations in flight, as "1 deploy" or "2 operations" ("" when none)."""
        running = self.services.apps.running_kinds() if self.services is not None else []
        if not running:
            return ""
        kinds = set(running)
        kind = kinds.pop() if len(kinds) == 1 else "operation"
        return f"{len(running)} {kind}{'s' if len(running) != 1 else ''}"

    async def action_quit(self) -> None:
        """With operations in flight, say that quitting waits for them, and ask first."""
        from proximity_tui.screens.confirm import ConfirmScreen

        summary = self.running_summary()
        if not summary or isinstance(self.screen, ConfirmScreen):
            self.exit()
            return
        verb = "is" if summary.startswith("1 ") else "are"
        them = "it" if summary.startswith("1 ") else "them"

        def answered(quit_: bool | None) -> None:
            if quit_:
                self.exit()

        self.push_screen(
            ConfirmScreen(
                f"{summary} {verb} running. Quit?",
                note=f"Quitting waits for {them} to finish (ctrl+c then cancels {them}).",
                confirm_label="Quit",
            ),
            answered,
        )

    def action_help(self) -> None:
        from proximity_tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.screen))

    def open_app(self, app_id: str, *, tab: str | None = None) -> None:
        from proximity_tui.screens.app_detail import AppDetailScreen

        if app_id not in self.apps:
            self.notify(f"App not found: {app_id}", severity="warning", markup=False)
            return
        self.selected_app_id = app_id
        self.push_screen(AppDetailScreen(app_id, tab=tab))

    def open_deploy_form(self, catalog_id: str) -> None:
        from proximity_tui.screens.deploy_form import DeployFormScreen

        services = self.ready_services
        if not services.can_change:
            self.notify("Read-only: deploying is disabled.", severity="warning")
            return
        try:
            entry = services.catalog.get(catalog_id)
        except Exception as exc:
            self.notify(str(exc), severity="error", markup=False)
            return

        def deployed(op_id: int | None) -> None:
            if op_id is not None:
                self.open_progress(op_id)

        self.push_screen(DeployFormScreen(entry), deployed)

    def open_progress(self, op_id: int) -> None:
        from proximity_tui.screens.deploy_progress import DeployProgressScreen

        self.push_screen(DeployProgressScreen(op_id))

    # --- theme ------------------------------------------------------------------------------

    @property
    def theme_saved(self) -> bool:
        """Whether a theme chosen now is kept for the next start (the demo writes no config)."""
        path = self.settings.config_path
        return path is not None and path.exists() and not self.settings.demo

    def watch_theme(self, theme: str) -> None:
        if self._save_theme:
            self._store_theme(theme)

    @work(thread=True, group="save-theme", exclusive=True, exit_on_error=False)
    def _store_theme(self, theme: str) -> None:
        from proximity_tui.config import save_config_values

        self.settings.ui.theme = theme
        path = self.settings.config_path
        # Only into an existing config: creating one would make the next start skip the
        # connect screen with default connection settings. The demo never writes the user's.
        if not self.theme_saved or path is None:
            return
        try:
            save_config_values(path, {"ui.theme": theme})
        except Exception as exc:
            self.notify(f"Could not save the theme: {exc}", severity="warning", markup=False)


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


class ConnectApp(App["Services | str | None"]):
    """First run with no configuration: the connect screen alone.

    Exits with the built services (connected), `"demo"` (start the demo) or None (quit)."""

    CSS_PATH = "app.tcss"

    def __init__(self, settings: Settings) -> None:
        safe_text.install()
        super().__init__()
        self.settings = settings

    def on_mount(self) -> None:
        from proximity_tui.screens.connect import ConnectScreen

        self.push_screen(ConnectScreen(self.settings))


def make_connect_app(settings: Settings) -> ConnectApp:
    return ConnectApp(settings)
