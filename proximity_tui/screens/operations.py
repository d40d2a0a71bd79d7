"""The Operations screen: the journal, newest first, filterable; Enter opens an operation.

Rows are keyed by operation id and diff-updated when the list is re-read (after an operation
starts or ends), so the cursor stays where it was.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Input, Static

from proximity_tui.screens.live import LiveScreen
from proximity_tui.widgets.cluster_header import ClusterHeader
from proximity_tui.widgets.filter_input import FilterInput
from proximity_tui.widgets.format import human_duration, local_time, one_line
from proximity_tui.widgets.live_table import LiveTable
from proximity_tui.widgets.stale_banner import StaleBanner
from proximity_tui.widgets.status_badge import status_text

COLUMNS = (
    ("id", "#"),
    ("time", "Started"),
    ("user", "User"),
    ("kind", "Kind"),
    ("app", "App"),
    ("status", "Status"),
    ("took", "Took"),
    ("error", "Error"),
)


def op_values(op: Any) -> tuple:
    took = human_duration(op.duration) if op.duration is not None else "running"
    return (
        op.id,
        local_time(op.started_at),
        op.user or "-",
        op.kind,
        op.hostname or op.app_id or "-",
        op.status,
        took,
        one_line(op.error, 120),
    )


def op_cells(values: tuple) -> list[Text]:
    cells = [Text(str(v)) for v in values]
    cells[0] = Text(str(values[0]), justify="right", style="bright_black")
    cells[5] = status_text(values[5])
    cells[7] = Text(values[7], style="red")
    return cells


class OperationsScreen(LiveScreen):
    BINDINGS = [
        Binding("enter", "open", "Open", id="ops.open"),
        Binding("slash", "filter", "Filter", id="ops.filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[Any] = []
        self.filter_text = ""
        self._shown: dict[str, tuple] = {}

    def compose(self) -> ComposeResult:
        yield ClusterHeader("operations")
        yield StaleBanner()
        yield FilterInput("#ops-table", placeholder="filter (app, kind, status, user, error)")
        table = LiveTable(id="ops-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("No operations yet.", id="ops-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(StaleBanner).show_snapshot(self.papp.snapshot)
        self.query_one(DataTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def snapshot_applied(self, snapshot: Any, changed: set[str], removed: set[str]) -> None:
        self.query_one(StaleBanner).show_snapshot(snapshot)

    def operation_events(self, events: list[Any]) -> None:
        if any(e.kind in ("started", "finished", "step_started") for e in events):
            self.load()

    @work(group="ops-load", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        try:
            self.ops = await self.services.run(self.services.apps.operations(limit=500))
        except Exception as exc:
            self.notify(f"Cannot read the journal: {exc}", severity="error", markup=False)
            return
        self._fill()

    def _matches(self, values: tuple) -> bool:
        if not self.filter_text:
            return True
        hay = " ".join(str(v) for v in values).lower()
        return all(term in hay for term in self.filter_text.lower().split())

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        keep = None
        if table.row_count:
            keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        wanted = {}
        for op in self.ops:
            values = op_values(op)
            if self._matches(values):
                wanted[str(op.id)] = values
        for key in [k for k in self._shown if k not in wanted]:
            table.remove_row(key)
            del self._shown[key]
        for key, values in wanted.items():
            old = self._shown.get(key)
            if old is None:
                table.add_row(*op_cells(values), key=key)
            elif old != values:
                for (column, _), cell, before, after in zip(
                    COLUMNS, op_cells(values), old, values, strict=True
                ):
                    if before != after:
                        table.update_cell(key, column, cell)
            self._shown[key] = values
        # newest first: operation ids grow with time
        table.sort("id", key=lambda cell: -int(cell.plain))
        if keep is not None and keep in self._shown:
            table.move_cursor(row=table.get_row_index(keep), animate=False, scroll=False)
        empty = not self._shown
        table.display = not empty
        note = self.query_one("#ops-empty", Static)
        note.display = empty
        if self.filter_text and empty:
            note.update(f"No operation matches “{self.filter_text}”.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return True if self._shown else None
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is not None:
            self.papp.open_progress(int(key))

    def action_filter(self) -> None:
        self.query_one(FilterInput).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterInput):
            event.stop()
            self.filter_text = event.value.strip()
            self._fill()
