"""The Apps screen's columns, width tiers and sorting, apart from its data flow (`apps.py`).

Mixins of `AppsScreen`: they use its state (`compact`, `sort_column`, `sort_reverse`, `_shown`,
...) and helpers (`_cursor_key`, `_wanted_ids`, ...). Below COMPACT_BELOW columns the table drops
Node, Uptime and URL and a summary line under it names the highlighted app's URL; the footer shows
the keys that fit, most used first (`?` lists them all).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from proximity_tui.screens.apps_rows import (
    COLUMNS,
    COMPACT_BELOW,
    FLEX,
    SORTABLE,
    VMID_INDEX,
    columns,
    layout,
    widths,
)
from proximity_tui.widgets.footer_fit import fit_footer
from proximity_tui.widgets.lazy_cell import LazyCell
from proximity_tui.widgets.live_table import LiveTable

_LESS_USED = ("1", "2", "3", "space", "i", "escape", "C")
#: (below this width, the keys the footer leaves out); the header names the modes already.
_FOOTER_HIDES: tuple[tuple[float, frozenset[str]], ...] = (
    (COMPACT_BELOW, frozenset({*_LESS_USED, "B", "U", "L", "s"})),
    (120, frozenset({*_LESS_USED, "L", "s"})),
    (150, frozenset(_LESS_USED)),
    (float("inf"), frozenset({"1", "2", "3"})),
)


if TYPE_CHECKING:
    from textual.screen import Screen

    class _Host(Screen):
        """What these mixins use of `AppsScreen` (seen by the type checker only)."""

        compact: bool
        sort_column: str | None
        sort_reverse: bool
        _shown: dict[str, tuple]
        _outdated: set[str]
        _footer_hidden: frozenset[str] | None
        _cell: Callable[[str, Any], LazyCell]

        def _values(self, key: str) -> tuple: ...
        def _wanted_ids(self) -> list[str]: ...
        def _sort_key(self, key: str) -> Any: ...
        def _cursor_key(self) -> str | None: ...
        def _restore_cursor(self, key: str | None) -> None: ...
        def _update_hint(self) -> None: ...
        def _label_sort(self, table: DataTable) -> None: ...
else:
    _Host = object


class AppsLayout(_Host):
    """Columns for the width, rebuilt only when a resize crosses COMPACT_BELOW; the footer."""

    def _add_columns(self, table: DataTable) -> None:
        sizes = widths(self.compact)
        if isinstance(table, LiveTable):
            table.flex = FLEX
        # Text, not str: DataTable would parse a str label as markup, and Rich's markup
        # importing its emoji table (3,600 names) is a few ms of every start.
        for key, label in columns(self.compact):
            table.add_column(Text(label), key=key, width=sizes.get(key))

    def _cells(self, values: tuple) -> list[LazyCell]:
        cell = self._cell
        return [cell(column, values[i]) for i, column in layout(self.compact)]

    def on_resize(self, event: events.Resize) -> None:
        compact = event.size.width < COMPACT_BELOW
        if compact != self.compact:
            self._rebuild(compact)
        self._fit_footer(event.size.width)
        self.call_after_refresh(self._update_hint)

    def _cut_off(self) -> bool:
        """The full table is wider than the screen (its right columns need scrolling), or a
        column the summary line names is elided."""
        table = self.query_one(LiveTable)
        if table.elided() & {"hostname", "node", "url"}:
            return True
        return table.virtual_size.width > table.scrollable_content_region.width

    def on_live_table_columns_fitted(self, _: LiveTable.ColumnsFitted) -> None:
        self._update_hint()

    def _fit_footer(self, width: int) -> None:
        """The footer shows the keys that fit, most used first (`?` lists them all)."""
        self._footer_hidden = fit_footer(self, _FOOTER_HIDES, width, self._footer_hidden)

    def _rebuild(self, compact: bool) -> None:
        """Switch between the compact and the full table: the only time rows are re-added
        (a resize across COMPACT_BELOW); the cursor stays on its app."""
        table = self.query_one(LiveTable)
        keep = self._cursor_key()
        self.compact = compact
        table.clear(columns=True)
        self._add_columns(table)
        self._shown.clear()
        self._outdated.clear()
        rows = []
        for key in self._wanted_ids():
            self._shown[key] = self._values(key)
            rows.append((key, self._cells(self._shown[key])))
        table.add_keyed_rows(rows)
        self._label_sort(table)
        if keep in self._shown:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        self._update_hint()


class AppsSorting(_Host):
    """`s` cycles the shown columns, `i` reverses, a header click sorts by that column."""

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column not in SORTABLE:
            return
        if self.sort_column == column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self._sort(self.query_one(DataTable), announce=True)

    def action_sort(self) -> None:
        """`s`: the next shown column, ascending (`i` reverses)."""
        shown = {c for c, _ in columns(self.compact)}
        order = [c for c in SORTABLE if c in shown]
        if self.sort_column not in order:
            self.sort_column = order[0]
        else:
            self.sort_column = order[(order.index(self.sort_column) + 1) % len(order)]
        self.sort_reverse = False
        self._sort(self.query_one(DataTable), announce=True)

    def action_reverse_sort(self) -> None:
        if self.sort_column is None:
            self.sort_column = SORTABLE[0]
        else:
            self.sort_reverse = not self.sort_reverse
        self._sort(self.query_one(DataTable), announce=True)

    def _sort(self, table: DataTable, *, announce: bool = False) -> None:
        if self.sort_column is None:
            order = {k: i for i, k in enumerate(self._wanted_ids())}
            self._reorder(table, lambda key: order.get(key, 0), reverse=False)
            return
        self._reorder(table, self._sort_key, reverse=self.sort_reverse)
        self._label_sort(table)
        if announce:
            label = dict(COLUMNS)[self.sort_column]
            self.notify(
                f"Sorted by {label}" + (" (descending)" if self.sort_reverse else ""), timeout=1.5
            )

    def _label_sort(self, table: DataTable) -> None:
        """The arrow on the sorted column's header (room for it is kept: see WIDTHS)."""
        for column, label in columns(self.compact):
            arrow = ""
            if column == self.sort_column:
                arrow = " ▼" if self.sort_reverse else " ▲"
            col = table.columns[ColumnKey(column)]
            col.label = Text(label + arrow)
            if col.auto_width:
                col.content_width = max(col.content_width, col.label.cell_len)
        if isinstance(table, LiveTable):
            table.refit()  # a flexible column keeps room for its label and arrow
        table.refresh()

    def _reorder(self, table: DataTable, key_of, *, reverse: bool) -> None:
        """Sort the rows in place (DataTable.sort by the unique vmid column), keeping the cursor."""
        keep = self._cursor_key()
        by_vmid = {self._shown[k][VMID_INDEX]: k for k in self._shown}
        table.sort("vmid", key=lambda cell: key_of(by_vmid[int(cell.plain)]), reverse=reverse)
        self._restore_cursor(keep)
