"""The Catalog screen: categories, the fuzzy-filtered list of entries, and the selected entry.

The catalog service is in memory and fast, so searching runs on the UI loop as you type; the node
list for the "fits" mark comes from the service loop once, after the first paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from proximity_tui.screens.live import LiveScreen
from proximity_tui.widgets.cluster_header import ClusterHeader
from proximity_tui.widgets.filter_input import FilterInput, slash_binding, typing
from proximity_tui.widgets.format import one_line
from proximity_tui.widgets.vim_keys import VimOptionList, VimScroll

if TYPE_CHECKING:
    from collections.abc import Iterable

    from proximity_tui.service_views import NodeChoice
    from proximity_tui.services.catalog.model import CatalogEntry
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.views import AppView

ALL = "__all__"
#: Below this width the side panes shrink so that the list keeps a readable width.
NARROW = 110
LEGEND = "✔ fits · ✖ no room now · ⚠ warnings"


def entry_fits(entry: CatalogEntry, nodes: list[NodeChoice]) -> bool:
    res = entry.resources
    # Unknown figures (a token without Sys.Audit on the node) do not rule a node out.
    return any(
        n.online
        and (n.free_memory_mb is None or n.free_memory_mb >= res.memory)
        and (n.cpus is None or n.cpus >= res.cores)
        for n in nodes
    )


def deployed_by_entry(apps: Iterable[AppView]) -> dict[str, list[str]]:
    """Entry ref -> hostnames deployed from it (the service's answer, shared with the CLI;
    imported here, not at start-up: it reads the catalog model, which imports YAML)."""
    from proximity_tui.services.catalog.deployed import deployed_by_entry as by_entry

    return by_entry(apps)


def search_entries(
    catalog: CatalogService, query: str, category: str | None, source: str | None = None
) -> list[CatalogEntry]:
    """Entries matching `query` (best first) in `category` (and `source`); all of them for an
    empty query."""
    if not query:
        entries = list(catalog.entries)
        if category:
            entries = [e for e in entries if e.category == category]
        if source:
            entries = [e for e in entries if e.source == source]
        return sorted(entries, key=lambda e: e.name.lower())
    found = catalog.search(query, category=category, source=source or None)
    return [f[0] if isinstance(f, tuple) else getattr(f, "entry", f) for f in found]


class CatalogScreen(LiveScreen):
    BINDINGS = [
        Binding("d", "deploy", "Deploy", id="catalog.deploy"),
        slash_binding("filter", "Filter", "catalog.filter"),
        Binding("y", "compose", "Compose file", id="catalog.compose"),
        Binding("s", "sources", "Sources", id="catalog.sources"),
        Binding("left", "focus_left", "Previous pane", show=False),
        Binding("right", "focus_right", "Next pane", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.category: str | None = None
        #: Only this source's entries (`bundled`, `user`, an added source); None: all.
        self.source: str | None = None
        self.query_text = ""
        self.nodes: list[NodeChoice] = []
        self.show_compose = False
        self._shown: list[CatalogEntry] = []
        #: Entry ref -> hostnames of the apps deployed from it (what the list and detail mark).
        self.deployed: dict[str, list[str]] = {}

    def compose(self) -> ComposeResult:
        yield ClusterHeader("catalog")
        with Horizontal(id="catalog-body"):
            yield VimOptionList(id="categories")
            with Vertical(id="catalog-list"):
                yield FilterInput("#entries", placeholder="search the catalog…")
                yield VimOptionList(id="entries")
                yield Static(LEGEND, id="catalog-legend")
            with VimScroll(id="catalog-detail"):
                yield Static("", id="entry-detail")
        yield Footer()

    def on_mount(self) -> None:
        cluster = self.services.cluster
        self.nodes = list(cluster.nodes) if cluster is not None else []
        categories = self.query_one("#categories", OptionList)
        categories.add_option(Option("All", id=ALL))
        for name in sorted(self.services.catalog.categories()):
            categories.add_option(Option(name, id=name))
        categories.highlighted = 0
        self._count_categories()
        self.deployed = deployed_by_entry(self.papp.apps.values())
        self._refill()
        self.query_one("#entries", OptionList).focus()
        self._load_nodes()

    @work(group="catalog-nodes", exclusive=True, exit_on_error=False)
    async def _load_nodes(self) -> None:
        try:
            self.nodes = await self.services.run(self.services.apps.nodes())
        except Exception:
            return  # the "fits" marks stay as the cluster info said; the form will show why
        self._refill(keep=True)

    def apps_applied(self, changed: set[str], removed: set[str]) -> None:
        deployed = deployed_by_entry(self.papp.apps.values())
        if deployed != self.deployed:  # an app deployed or deleted: the marks follow
            self.deployed = deployed
            self._refill(keep=True)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    # --- list -----------------------------------------------------------------------------

    def _count_categories(self) -> None:
        """Each category's count of the entries the filter matches (all of them without one)."""
        counts: dict[str, int] = {}
        for entry in search_entries(self.services.catalog, self.query_text, None, self.source):
            counts[entry.category] = counts.get(entry.category, 0) + 1
        categories = self.query_one("#categories", OptionList)
        for index in range(categories.option_count):
            option_id = categories.get_option_at_index(index).id
            count = sum(counts.values()) if option_id == ALL else counts.get(option_id or "", 0)
            name = "All" if option_id == ALL else one_line(option_id or "", 14)
            categories.replace_option_prompt_at_index(index, f"{name} ({count})")

    def _refill(self, *, keep: bool = False) -> None:
        entries_list = self.query_one("#entries", OptionList)
        current = self.selected_entry() if keep else None
        self._shown = search_entries(
            self.services.catalog, self.query_text, self.category, self.source
        )
        entries_list.clear_options()
        entries_list.add_options([self._option(e) for e in self._shown])
        if self._shown:
            index = 0
            if current is not None:
                refs = [e.ref for e in self._shown]
                index = refs.index(current.ref) if current.ref in refs else 0
            entries_list.highlighted = index
        self._show_detail()

    def _option(self, entry: CatalogEntry) -> Option:
        text = Text(no_wrap=True, overflow="ellipsis")
        fits = entry_fits(entry, self.nodes) if self.nodes else None
        text.append("✔ " if fits else ("✖ " if fits is False else "  "), "green" if fits else "red")
        text.append(one_line(entry.name, 28), "bold")
        if entry.ref != entry.id:  # an added source's entry: say whose
            text.append(f"  {one_line(entry.source, 12)}/", "magenta")
        if self.services.catalog.overrides_bundled(entry):  # said before the text is cut
            text.append("  replaces bundled", "yellow")
        if count := len(self.deployed.get(entry.ref, ())):
            text.append(f"  {count} deployed", "green")
        text.append(f"  {entry.category}", "cyan")
        text.append(f"  {one_line(entry.description.split(chr(10), 1)[0], 60)}", "bright_black")
        if entry.warnings:
            text.append("  ⚠", "yellow")
        return Option(text, id=entry.ref)

    def selected_entry(self) -> CatalogEntry | None:
        entries_list = self.query_one("#entries", OptionList)
        index = entries_list.highlighted
        if index is None or index >= len(self._shown):
            return None
        return self._shown[index]

    def _show_detail(self) -> None:
        from proximity_tui.screens.catalog_detail import entry_detail

        entry = self.selected_entry()
        detail = self.query_one("#entry-detail", Static)
        if entry is None:
            detail.update("No entry matches." if self.query_text else "The catalog is empty.")
            return
        detail.update(
            entry_detail(
                entry,
                self.nodes,
                show_compose=self.show_compose,
                overrides=self.services.catalog.overrides_bundled(entry),
                deployed=self.deployed.get(entry.ref, []),
            )
        )

    # --- events ---------------------------------------------------------------------------

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "categories":
            category = event.option.id
            new = None if category == ALL else category
            if new != self.category:
                self.category = new
                self._refill()
        else:
            self._show_detail()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "categories":
            self.query_one("#entries", OptionList).focus()
        else:
            self.action_deploy()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterInput):
            event.stop()
            self.query_text = event.value.strip()
            self._count_categories()
            self._refill()

    def action_filter(self) -> None:
        self.query_one(FilterInput).open()

    def _panes(self) -> list[Any]:
        return [self.query_one(s) for s in ("#categories", "#entries", "#catalog-detail")]

    def action_focus_left(self) -> None:
        panes = self._panes()
        index = panes.index(self.focused) if self.focused in panes else 1
        panes[max(index - 1, 0)].focus()

    def action_focus_right(self) -> None:
        panes = self._panes()
        index = panes.index(self.focused) if self.focused in panes else 1
        panes[min(index + 1, len(panes) - 1)].focus()

    def action_compose(self) -> None:
        self.show_compose = not self.show_compose
        self._show_detail()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter" and typing(self):
            return False
        if action == "deploy":
            if not self.services.can_change:
                return False
            return True if self.selected_entry() is not None else None
        return True

    def action_deploy(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.papp.open_deploy_form(entry.ref)

    def action_sources(self) -> None:
        from proximity_tui.screens.catalog_sources import SourcesScreen

        def chosen(source: str | None) -> None:
            if source is None:  # closed without choosing: the filter stays; entries may be new
                self._reload()
                return
            self.source = source or None
            self._reload()
            label = f"source: {self.source}" if self.source else "all sources"
            self.notify(f"Catalog: {label}", timeout=3)

        self.papp.push_screen(SourcesScreen(), chosen)

    def _reload(self) -> None:
        """After the Sources view: categories and entries as the catalog now has them."""
        categories = self.query_one("#categories", OptionList)
        known = {categories.get_option_at_index(i).id for i in range(categories.option_count)}
        for name in sorted(self.services.catalog.categories()):
            if name not in known:
                categories.add_option(Option(name, id=name))
        self._count_categories()
        self._refill(keep=True)
