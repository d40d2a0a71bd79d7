"""The Operations screen: the journal, newest first, filterable; Enter opens an operation.

Rows are keyed by operation id and diff-updated when the list is re-read (after an operation
starts or ends), so the cursor stays where it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Input, Static

from proximity_tui.screens.live import LiveScreen
from proximity_tui.widgets.cluster_header import ClusterHeader
from proximity_tui.widgets.column_fit import Flex
from proximity_tui.widgets.filter_input import FilterInput, slash_binding, typing
from proximity_tui.widgets.format import human_duration, local_time, one_line
from proximity_tui.widgets.lazy_cell import LazyCell
from proximity_tui.widgets.live_table import LiveTable
from proximity_tui.widgets.stale_banner import StaleBanner
from proximity_tui.widgets.status_badge import operation_label

if TYPE_CHECKING:
    from proximity_tui.service_views import OperationView

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


def short_time(dt: datetime | None, now: datetime) -> str:
    """Today's times as 14:29:57, older ones with their date: the Error column needs the room."""
    if dt is None:
        return "-"
    if dt.tzinfo is not None:
        dt = dt.astimezone()
    if now.tzinfo is not None:
        now = now.astimezone()
    if dt.date() == now.date():
        return dt.strftime("%H:%M:%S")
    return dt.strftime("%b %d %H:%M") if dt.year == now.year else local_time(dt, seconds=False)


def op_status(op: Any) -> str:
    """`cancelled` for an operation the user cancelled and that rolled back cleanly."""
    if op.status == "rolled_back" and "cancelled" in (op.error or "").lower():
        return "cancelled"
    return op.status


def op_values(op: Any, now: datetime) -> tuple:
    took = human_duration(op.duration) if op.duration is not None else "running"
    return (
        op.id,
        short_time(op.started_at, now),
        op.user or "-",
        op.kind,
        op.hostname or op.app_id or "-",
        op_status(op),
        took,
        one_line(op.error, 120),
    )


#: Wider than the screen: the widest of App and Error gives room first, the error keeping whole
#: words (the line under the table has it in full), then the user.
FLEX = {
    "app": Flex(tier=0, minimum=10),
    "error": Flex(tier=0, minimum=12, elide="tokens"),
    "user": Flex(tier=1, minimum=4),
}


def op_cells(values: tuple) -> list[LazyCell]:
    cells = [LazyCell(str(v)) for v in values]
    cells[0] = LazyCell(str(values[0]), "bright_black", justify="right")
    label, style = operation_label(values[5])
    cells[5] = LazyCell(label.replace("_", " "), style)
    cells[7] = LazyCell(values[7], "red")
    return cells


def op_summary(op: Any) -> Text:
    """The selected operation in full under the table (the Error column is cut at 80 columns)."""
    label, style = operation_label(op_status(op))
    text = Text()
    text.append(f"#{op.id} {op.kind} {op.hostname or op.app_id or ''}".rstrip(), "bold")
    text.append("  ")
    text.append(label.replace("_", " "), style)
    if op.duration is not None:
        text.append(f" after {human_duration(op.duration)}", "bright_black")
    if op.error:
        text.append("\n")
        text.append(" ".join(str(op.error).split()), "red")
    return text


class OperationsScreen(LiveScreen):
    DEFAULT_CSS = """
    OperationsScreen #ops-detail {
        height: auto; max-height: 5; padding: 0 1; border-top: solid $panel;
    }
    """

    BINDINGS = [
        Binding("enter", "open", "Open", id="ops.open"),
        slash_binding("filter", "Filter", "ops.filter"),
        Binding("r", "retry", "Retry deploy", id="ops.retry"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[OperationView] = []
        self.filter_text = ""
        self._shown: dict[str, tuple] = {}

    def compose(self) -> ComposeResult:
        yield ClusterHeader("operations")
        yield StaleBanner()
        yield FilterInput("#ops-table", placeholder="filter (app, kind, status, user, error)")
        table = LiveTable(id="ops-table", cursor_type="row", zebra_stripes=True)
        table.flex = FLEX
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="ops-detail", markup=False)
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
        now = self.papp.clock()
        for op in self.ops:
            values = op_values(op, now)
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
        self._show_selected()

    def selected_op(self) -> OperationView | None:
        table = self.query_one(DataTable)
        if not (table.row_count and table.display):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((o for o in self.ops if str(o.id) == key), None)

    def _show_selected(self) -> None:
        detail = self.query_one("#ops-detail", Static)
        op = self.selected_op()
        detail.display = op is not None
        if op is not None:
            detail.update(op_summary(op))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_selected()
        self.refresh_bindings()  # Retry applies to some rows only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter" and typing(self):
            return False
        if action == "open":
            return True if self._shown else None
        if action == "retry":
            from proximity_tui.services.retry import RETRYABLE

            if not self.services.can_change:
                return False
            op = self.selected_op()
            return True if op and op.kind == "deploy" and op.status in RETRYABLE else None
        return True

    @work(group="ops-retry", exclusive=True, exit_on_error=False)
    async def action_retry(self) -> None:
        """The selected failed deploy again, as it was asked, its progress on screen; one that
        was given environment values opens the form instead (the journal keeps no values)."""
        op = self.selected_op()
        if op is None:
            return
        services = self.services
        try:
            plan = await services.run(services.apps.retry_plan(op.id))
            if plan.env_names:
                self.notify(
                    f"Deploy #{op.id} was given {', '.join(plan.env_names)}: the journal keeps no "
                    "values, enter them again in the form.",
                    severity="warning",
                    markup=False,
                )
                self.papp.open_deploy_form(plan.catalog_id)
                return
            new_op = await services.run(services.apps.start_retry(op.id))
        except Exception as exc:  # noqa: BLE001 - said, nothing started
            self.notify(f"Cannot retry #{op.id}: {exc}", severity="error", markup=False)
            return
        self.papp.open_progress(new_op)

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
