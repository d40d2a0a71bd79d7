"""How the dashboard starts: the Apps table painted from the database first, everything else after.

With a database to read (`preload_db`), the first frame is the Apps table: a thread reads the
apps through `store/quick_read` (plain `sqlite3`, read-only) while the App shows Textual's blank
default screen, and the table is painted from that read. Only once that frame is written
(`table_painted`) do the services start building and connecting in a thread (SQLAlchemy,
proxmoxer, asyncssh, the TLS and SSH set-up) and the look for other dashboards begins: started
earlier, they would compete for the CPU with the first paint (on a busy machine, most of all).
The starting screen ("connecting to …") is shown only when there is nothing to paint: no
database, no apps, or one the read gives up on (a database locked for over half a second).

The stylesheet read at start (`app.tcss`) holds what that frame and a dialog need; the other
screens' layout (`screens.tcss`, two thirds of it) is read right after the first paint, before
any other screen can be shown (parsing it was a few ms of every start). Without a paint from the
database both are read at start, in the same order.

Keys typed until the first mode's screen is mounted wait for it (`show_first`, `type_ahead.py`).

The collector is paused until the first paint (`pause_gc`): filling the table makes tens of
thousands of objects (cells, rows, views), and it ran over them again and again during the start,
about a tenth of its CPU (BENCHMARKS.md, start to Apps). Nothing of it is garbage yet; the
collector resumes when the services start to build, or on unmount.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.screen import Screen

from proximity_tui.messages import AppsLoaded, ServicesReady

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp
    from proximity_tui.services.bootstrap import Services

#: The layout of the screens other than Apps; it follows `app.tcss`.
SCREENS_CSS = Path(__file__).resolve().parent.parent / "screens.tcss"


class Startup:
    def __init__(
        self,
        app: ProximityApp,
        factory: Callable[[], Services] | None,
        preload_db: Path | None,
    ) -> None:
        self.app = app
        self._factory = factory
        #: Database to paint the apps from before the services exist.
        self._preload_db = preload_db
        self._build_after_paint = False
        self._gc_paused = False

    @property
    def preloading(self) -> bool:
        """The Apps table is painted from the database before the services exist."""
        return (
            self.app.services is None and self._factory is not None and self._preload_db is not None
        )

    def default_screen(self) -> Screen:
        if self.preloading:
            return Screen(id="_default")  # Textual's own: the Apps table replaces it at once
        return self._starting_screen()

    def _starting_screen(self) -> Screen:
        from proximity_tui.screens.starting import StartingScreen

        px = self.app.settings.proxmox
        where = "the demo cluster" if self.app.settings.demo else f"{px.host}:{px.port}"
        return StartingScreen(where)

    def begin(self) -> None:
        """On mount: paint from the database, or build the services (or use the given ones)."""
        app = self.app
        if app.services is not None:
            app.peers.start(app.settings.db_path)
            app.subscribe(app.services)
        elif self.preloading:
            self._pause_gc()
            app.run_worker(self._preload, thread=True, group="preload", exit_on_error=False)
        else:
            app.peers.start(app.settings.db_path)
            if self._factory is not None:
                self._build_services()

    def _preload(self) -> None:
        """A thread worker: the read, then the paint from it (or the services' start)."""
        from proximity_tui.store.quick_read import read_apps

        try:
            apps = read_apps(self._preload_db)
        except Exception:  # noqa: BLE001 - a fast path only: the services will read the apps
            apps = None
        if apps:
            self.app.post_message(AppsLoaded(apps, preliminary=True))
        else:
            self.app.call_from_thread(self._nothing_to_paint)

    def _nothing_to_paint(self) -> None:
        self._read_screens_css()
        self.app.push_screen(self._starting_screen())
        self._after_first_paint()

    async def apps_preloaded(self) -> None:
        """The apps read from the database arrived: show them (the services start after)."""
        self._build_after_paint = True
        await self.show_first("apps")

    async def show_first(self, mode: str) -> None:
        """The dashboard's first screen, mounted; then the keys typed until now go to it."""
        await self.app.switch_mode(mode)
        await self.app.type_ahead.release()

    def table_painted(self) -> None:
        """The Apps screen painted its table for the first time."""
        if self._build_after_paint:
            self._build_after_paint = False
            self._after_first_paint()

    def _after_first_paint(self) -> None:
        self._read_screens_css()
        self.app.peers.start(self.app.settings.db_path)
        self._build_services()

    def _read_screens_css(self) -> None:
        """Add `screens.tcss` to the stylesheet (once): only it is parsed (Textual keeps the
        other sources' rules), and the widgets already mounted are styled again, as Textual
        does when a screen brings its own CSS."""
        app = self.app
        if app.stylesheet.has_source(str(SCREENS_CSS)):
            return
        app.css_path.append(SCREENS_CSS)  # read again with the others (CSS live reload)
        app.stylesheet.read(SCREENS_CSS)
        app.stylesheet.parse()
        app.stylesheet.update(app)

    def _pause_gc(self) -> None:
        if gc.isenabled():
            gc.disable()
            self._gc_paused = True

    def resume_gc(self) -> None:
        if self._gc_paused:
            self._gc_paused = False
            gc.enable()

    def _build_services(self) -> None:
        self.app.run_worker(self._build, thread=True, group="build-services", exit_on_error=False)

    def _build(self) -> None:
        from proximity_tui.errors import ProximityError

        app = self.app
        self.resume_gc()
        assert self._factory is not None
        try:
            services = self._factory()
        except ProximityError as exc:
            app.startup_error = exc
            app.call_from_thread(app.exit, None, 1)
            return
        except Exception as exc:  # still one line for the CLI, with the real cause
            app.startup_error = ProximityError(f"cannot start: {type(exc).__name__}: {exc}")
            app.call_from_thread(app.exit, None, 1)
            return
        app.services = services
        app.post_message(ServicesReady())

    async def services_ready(self) -> None:
        from proximity_tui.widgets.cluster_header import ClusterHeader

        app = self.app
        # Painted before the services existed; a modal may be on top of the screen that has one.
        for screen in app.screen_stack:
            for header in screen.query(ClusterHeader):
                await header.recompose()
        app.subscribe(app.ready_services)
        app.auto_doctor()
