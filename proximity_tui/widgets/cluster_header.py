"""The top line of every mode: brand, mode tabs, the connected cluster, the user, badges."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

MODES = (("1", "catalog", "Catalog"), ("2", "apps", "Apps"), ("3", "operations", "Operations"))
SEPARATOR = " · "


def fit_parts(parts: list[tuple[int, str]], width: int) -> str:
    """Join the parts (priority, text) that fit in `width`, dropping the lowest priority ones
    whole (never cutting a word); the order on screen stays the given one."""
    kept = list(parts)
    while kept and len(SEPARATOR.join(t for _, t in kept)) > width:
        kept.remove(min(kept, key=lambda p: p[0]))
    return SEPARATOR.join(t for _, t in kept)


class ClusterInfo(Label):
    """The cluster line: as many whole parts as the width allows."""

    def __init__(self, parts: list[tuple[int, str]], **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.parts = parts

    def set_parts(self, parts: list[tuple[int, str]]) -> None:
        self.parts = parts
        self.refresh(layout=True)

    def render(self) -> str:
        width = self.content_region.width
        return fit_parts(self.parts, width) if width > 0 else ""


class ClusterHeader(Horizontal):
    DEFAULT_CSS = """
    ClusterHeader { height: 1; dock: top; background: $panel; }
    ClusterHeader #brand { padding: 0 1; background: $primary; color: $text; text-style: bold; }
    ClusterHeader .tab { padding: 0 1; color: $text-muted; }
    ClusterHeader .tab.-active { color: $text; background: $boost; text-style: bold underline; }
    ClusterHeader #info { width: 1fr; content-align: right middle; padding: 0 1; }
    ClusterHeader #info { color: $text-muted; }
    ClusterHeader .badge { padding: 0 1; text-style: bold; }
    ClusterHeader #demo { background: $warning; color: $background; }
    ClusterHeader #readonly { background: $secondary; color: $background; }
    ClusterHeader #insecure { background: $error; color: $background; }
    ClusterHeader #peers { background: $accent; color: $background; }
    """

    def __init__(self, mode: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mode = mode

    def compose(self) -> ComposeResult:
        yield Label("◆ Proximity", id="brand")
        for key, name, title in MODES:
            tab = Label(f"{key} {title}", classes="tab", id=f"tab-{name}")
            tab.set_class(name == self.mode, "-active")
            yield tab
        yield ClusterInfo(self._info(), id="info")
        services = getattr(self.app, "services", None)
        cluster = getattr(services, "cluster", None)
        if services is not None and services.demo:
            yield Label("DEMO", id="demo", classes="badge")
        if services is not None and not services.can_change:
            yield Label("READ-ONLY", id="readonly", classes="badge")
        if cluster is not None and cluster.insecure:
            yield Label("TLS UNVERIFIED", id="insecure", classes="badge")
        peers = getattr(self.app, "peers", None)  # the dashboard's PeerWatch
        badge = Label("", id="peers", classes="badge")
        self._show_peers(peers.others if peers is not None else 0, badge)
        yield badge

    async def on_click(self, event: events.Click) -> None:
        """A click on a mode tab switches to it, as its number key does."""
        widget = event.widget
        if widget is not None and widget.has_class("tab") and widget.id:
            event.stop()
            await self.app.run_action(f"mode({widget.id.removeprefix('tab-')!r})")

    def on_mount(self) -> None:
        peers = getattr(self.app, "peers", None)
        if peers is not None:
            peers.changed.subscribe(self, self._show_peers)
            # A count published between compose and this subscription reached no one: show
            # the count as it is now (the CI run that saw a header stay blank).
            self._show_peers(peers.others)

    def _show_peers(self, others: int, badge: Label | None = None) -> None:
        """Another dashboard has the same database open: say how many there are."""
        badge = badge or self.query_one("#peers", Label)
        badge.update(f"{others + 1} DASHBOARDS" if others else "")
        badge.display = others > 0

    def _info(self) -> list[tuple[int, str]]:
        """(priority, text): the host first, then the node count, the user, the PVE version."""
        services = getattr(self.app, "services", None)
        if services is None:
            return []
        parts: list[tuple[int, str]] = []
        cluster = services.cluster
        if cluster is not None:
            # "3-node cluster" says nothing the node count does not: show the host then.
            name = cluster.name
            if not name or name.endswith("-node cluster"):
                name = cluster.host
            online = sum(1 for n in cluster.nodes if n.online)
            total = len(cluster.nodes)
            nodes = f"{total} node{'s' if total != 1 else ''}"
            if online != total:
                nodes += f" ({online} online)"
            parts.append((4, name))
            parts.append((3, nodes))
            if cluster.version:
                parts.append((1, f"PVE {cluster.version}"))
        user = services.user
        if user is not None:
            parts.append((2, f"{user.username} ({user.role})"))
        return parts

    def refresh_info(self) -> None:
        self.query_one("#info", ClusterInfo).set_parts(self._info())
