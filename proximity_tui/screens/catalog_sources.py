"""The catalog's Sources view: the app stores added as sources, their figures, sync (with its
progress) and remove (confirmed). Enter filters the catalog to the highlighted source.

Adding a source is `proximity-tui catalog source add` (a path or URL is typed once, in a shell);
this view manages what is there. Syncing runs in a worker thread of the service layer; progress
comes back through `call_from_thread`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Footer, Static

from proximity_tui.screens.live import LiveScreen
from proximity_tui.widgets.cluster_header import ClusterHeader
from proximity_tui.widgets.format import one_line

if TYPE_CHECKING:
    from proximity_tui.services.catalog.sources import Source

ALL = "__all__"
COLUMNS = ("Source", "Format", "Apps", "Skipped", "Synced", "Location")


class SourcesScreen(LiveScreen):
    """Dismissed with the source to filter by ("" for all), or None when nothing was chosen."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="sources.back"),
        Binding("enter", "choose", "Filter catalog", id="sources.choose"),
        Binding("r", "sync", "Sync", id="sources.sync"),
        Binding("x", "remove", "Remove", id="sources.remove"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.busy: str | None = None
        self._sources: list[Source] = []

    def compose(self) -> ComposeResult:
        yield ClusterHeader("catalog")
        yield Static("Catalog sources", id="sources-title")
        yield DataTable(id="sources-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sources-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.refill()
        table.focus()

    def refill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        counts = self.services.catalog.sources()
        table.add_row("All", "", str(len(self.services.catalog)), "", "", "", key=ALL)
        for name in ("bundled", "user", "imported"):
            if counts.get(name):
                table.add_row(name, "", str(counts[name]), "", "", "", key=name)
        try:
            self._sources = self.services.catalog_sources().all()
        except Exception as exc:  # an unreadable sources.json: say so, keep the rest usable
            self._sources = []
            self._status(f"✖ {exc}")
        for s in self._sources:
            table.add_row(
                s.name, s.format or "?", str(counts.get(s.name, 0)), str(s.skipped),
                s.synced_at or "never", one_line(s.location, 60), key=s.name,
            )  # fmt: skip
        if not self._sources:
            self._status("No sources added: proximity-tui catalog source add NAME PATH-or-URL")

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return str(key) if key is not None else None

    def _added(self, name: str | None) -> bool:
        return name is not None and any(s.name == name for s in self._sources)

    def _status(self, text: str) -> None:
        self.query_one("#sources-status", Static).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("sync", "remove"):
            if not self.services.can_change or self.busy is not None:
                return False
            return True if self._added(self.selected()) else None
        return True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_choose()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_choose(self) -> None:
        name = self.selected()
        if name is not None:
            self.dismiss("" if name == ALL else name)

    def action_sync(self) -> None:
        name = self.selected()
        if self._added(name) and self.busy is None:
            assert name is not None
            self.busy = name
            self.refresh_bindings()
            self._status(f"{name}: syncing…")
            self._sync(name)

    @work(group="sources-sync", exclusive=True, exit_on_error=False)
    async def _sync(self, name: str) -> None:
        def progress(done: int, total: int | None) -> None:
            share = f" {done * 100 // total}%" if total else ""
            self.app.call_from_thread(
                self._status, f"{name}: downloading{share} {done // 1024} KiB"
            )

        try:
            report = await self.services.run(self.services.sync_source(name, progress))
        except Exception as exc:
            self._status(f"✖ {name}: {exc}")
        else:
            s = report.source
            digest = f", sha256 {report.sha256[:16]}…" if report.sha256 else ""
            self._status(f"✔ {name}: {s.converted} apps, {s.skipped} skipped{digest}")
        finally:
            self.busy = None
            self.refill()
            self.refresh_bindings()

    def action_remove(self) -> None:
        from proximity_tui.screens.confirm import ConfirmScreen

        name = self.selected()
        if not self._added(name):
            return
        assert name is not None
        count = self.services.catalog.sources().get(name, 0)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._remove(name)

        self.app.push_screen(
            ConfirmScreen(
                f"Remove the source {name}?",
                [f"its {count} apps leave the catalog", "apps already deployed keep running"],
                confirm_label="Remove",
                danger=True,
            ),
            confirmed,
        )

    @work(group="sources-remove", exclusive=True, exit_on_error=False)
    async def _remove(self, name: str) -> None:
        try:
            await self.services.run(self.services.remove_source(name))
        except Exception as exc:
            self._status(f"✖ {name}: {exc}")
            return
        self._status(f"removed {name}")
        self.refill()
