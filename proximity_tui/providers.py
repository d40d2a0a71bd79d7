"""Command palette providers: jump to an app, deploy a catalog entry, act on the selected app,
switch theme. Each reads the App's in-memory state only (no I/O while typing)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp


class _Base(Provider):
    @property
    def papp(self) -> ProximityApp:
        return cast("ProximityApp", self.app)

    def _ready(self) -> bool:
        return self.papp.services is not None

    def commands(self) -> list[tuple[str, Any, str]]:
        """(text, callback, help) of every command this provider offers now."""
        return []

    async def search(self, query: str) -> Hits:
        if not self._ready():
            return
        if not query.strip():
            for text, callback, help_text in self.commands():
                yield Hit(1.0, text, callback, text=text, help=help_text)
            return
        matcher = self.matcher(query)
        for text, callback, help_text in self.commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, text=text, help=help_text)
            elif (also := self.also_matches(text)) and (score := matcher.match(also)) > 0:
                yield Hit(score * 0.9, text, callback, text=text, help=help_text)

    def also_matches(self, text: str) -> str:
        """More words a command is found by, beyond its text (e.g. an app's catalog name)."""
        return ""

    #: Where this provider's commands sit when the palette opens (higher first): the palette
    #: sorts by score, and discovery hits all score 0 in the order they arrive from concurrent
    #: providers. None: 20 plain discovery hits (beside the system commands).
    OPENING: float | None = None

    async def discover(self) -> Hits:
        if not self._ready():
            return
        if self.OPENING is None:
            for text, callback, help_text in self.commands()[:20]:
                yield DiscoveryHit(text, callback, text=text, help=help_text)
            return
        for text, callback, help_text in self.commands():
            yield Hit(self.OPENING, text, callback, text=text, help=help_text)


class AppsProvider(_Base):
    """Jump to an app's detail screen, by hostname or by the app it runs (`kuma` finds the
    hostname `status` running Uptime Kuma)."""

    OPENING = 0.8  # after the selected app's actions
    _names: dict[str, str] = {}  # noqa: RUF012 (replaced, never mutated)

    def also_matches(self, text: str) -> str:
        return self._names.get(text, "")

    def commands(self) -> list[tuple[str, Any, str]]:
        app = self.papp
        self._names = {
            f"Open app {v.hostname}": f"{v.name} {v.catalog_id}" for v in app.apps.values()
        }
        return [
            (f"Open app {v.hostname}", partial(app.open_app, v.id), f"{v.name} · {v.status}")
            for v in sorted(app.apps.values(), key=lambda v: v.hostname)
        ]


class DeployProvider(_Base):
    """Deploy a catalog entry (opens the deploy form)."""

    OPENING = -1.0  # all of them, after the actions, the apps and the system commands

    def commands(self) -> list[tuple[str, Any, str]]:
        app = self.papp
        services = app.ready_services
        if not services.can_change:
            return []
        return [
            (
                f"Deploy {e.name}" + ("" if e.ref == e.id else f" ({e.source})"),
                partial(app.open_deploy_form, e.ref),
                e.category,
            )
            for e in services.catalog.entries
        ]


class AppActionsProvider(_Base):
    """Run an action on the selected app (the apps table's cursor or the open detail screen)."""

    OPENING = 0.9  # first

    def commands(self) -> list[tuple[str, Any, str]]:
        from proximity_tui.screens.actions import ACTIONS

        app = self.papp
        view = app.apps.get(app.selected_app_id or "")
        if view is None:
            return []
        out = []
        for name, (key, label, _, _) in ACTIONS.items():
            if app.actions.allowed(name, view):
                callback = partial(app.actions.request, name, [view.id])
                out.append((f"{label} {view.hostname}", callback, f"key {key}"))
        return out


class NodesProvider(_Base):
    """Build (or check) a node's Docker-ready base, which later deploys there clone."""

    def commands(self) -> list[tuple[str, Any, str]]:
        app = self.papp
        services = app.ready_services
        if not services.can_change or services.cluster is None:
            return []
        return [
            (
                f"Prepare Docker-ready base on {n.name}",
                partial(app.actions.prepare_node, n.name),
                "deploys there clone it instead of installing Docker",
            )
            for n in services.cluster.nodes
            if n.online
        ]


class ThemeProvider(_Base):
    """Switch to one of the built-in themes (saved to the config, except in the demo)."""

    def _ready(self) -> bool:
        return True

    def commands(self) -> list[tuple[str, Any, str]]:
        app = self.papp
        saved = getattr(app, "theme_saved", False)
        note = "saved to the config" if saved else "for this session (not saved)"
        return [
            (f"Theme: {name}", partial(setattr, app, "theme", name), note)
            for name in sorted(app.available_themes)
            if name != "textual-ansi"
        ]


PALETTE_PROVIDERS = (
    AppsProvider,
    DeployProvider,
    AppActionsProvider,
    NodesProvider,
    ThemeProvider,
)
