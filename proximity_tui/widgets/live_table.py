"""A DataTable that measures its new rows cheaply.

DataTable measures every new cell with Rich's `measure()`, which asks the console for its size
(a `get_terminal_size` system call, three times) per cell: 10,000 cells for 1,000 apps cost a
large part of the first paint. Our cells are one-line `Text`, whose width is `cell_len`: this
subclass computes that directly and leaves everything else (labels, auto-height rows, other
renderables) to DataTable. It overrides a private method of the pinned Textual (8.2.8); a test
checks the widths it computes against DataTable's own, so an upgrade that changes it fails loudly.
It repaints only the rows whose cells changed (`live_table_paint.CheapRepaint`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from itertools import zip_longest
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets.data_table import ColumnKey, DuplicateKey, Row, RowKey

from proximity_tui.widgets.column_fit import Flex, elide, fit_widths
from proximity_tui.widgets.lazy_cell import LazyCell
from proximity_tui.widgets.live_table_paint import CheapRepaint
from proximity_tui.widgets.vim_keys import VimDataTable

#: Cache sizes (Textual's defaults: 10,000 cells, 1,000 rows and lines): room for a 200x100
#: terminal of our ten columns, four times over.
CELL_CACHE = 4000
LINE_CACHE = 400


class LiveTable(CheapRepaint, VimDataTable):
    class ColumnsFitted(Message):
        """The flexible columns' widths changed (what is elided may have changed)."""

    def __init__(self, *args, open_label: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if open_label is not None:
            # DataTable's own Enter binding (hidden) is the one the footer finds first: show it,
            # named for what Enter does on this table.
            keys = self._bindings.key_to_bindings
            keys["enter"] = [
                replace(b, description=open_label, show=True, key_display="⏎")
                for b in keys.get("enter", [])
            ]
        # DataTable keys its render caches by an update counter that a live table bumps on every
        # refresh, so old entries are never hit again; sized for 10,000 cells they only fill
        # memory during the first minutes. A screenful is at most a few hundred cells.
        self._cell_render_cache = LRUCache(CELL_CACHE)
        self._row_render_cache = LRUCache(LINE_CACHE)
        self._line_cache = LRUCache(LINE_CACHE)
        #: Called once, after the frame in which the table first drew rows.
        self.first_paint_callback: Callable[[], None] | None = None
        #: Called when other rows may have come into view (scrolled or resized).
        self.view_changed_callback: Callable[[], None] | None = None
        #: Columns that may be narrower than their content when the table is wider than its
        #: room (see `column_fit`); their cells are elided visibly instead of cut at the edge.
        self.flex: dict[str, Flex] = {}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor" and self.row_count == 0:
            return False  # nothing to open: not offered in the footer
        return super().check_action(action, parameters)

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if self.first_paint_callback is not None and self.row_count:
            callback, self.first_paint_callback = self.first_paint_callback, None
            self.call_later(callback)  # runs once this frame is done
        return lines

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.view_changed_callback is not None and int(old_value) != int(new_value):
            self.view_changed_callback()

    def _on_resize(self, event: events.Resize) -> None:
        super()._on_resize(event)
        self.refit()  # the scrollable size for the new widths, too
        if self.view_changed_callback is not None:
            self.call_later(self.view_changed_callback)

    def add_keyed_rows(self, rows: list[tuple[str, list[Any]]]) -> None:
        """`add_row(*cells, key=key)` for many rows at once.

        DataTable.add_row re-validates the cursor, bumps its update counter and asks for an idle
        check on every row: for 1,000 rows that is a good part of the first paint. This does the
        same bookkeeping per row and those three once (a test holds it to add_row's result)."""
        index = self.row_count
        was_empty = index == 0
        columns = self.ordered_columns
        keys = [column.key for column in columns]
        locations, data, table_rows, new_rows = (
            self._row_locations,
            self._data,
            self.rows,
            self._new_rows,
        )
        for key, cells in rows:
            row_key = RowKey(key)
            if row_key in locations:
                raise DuplicateKey(f"The row key {row_key!r} already exists.")
            if len(cells) > len(keys):
                raise ValueError("More values provided than there are columns.")
            locations[row_key] = index
            index += 1
            data[row_key] = dict(zip_longest(keys, cells))
            table_rows[row_key] = Row(row_key, 1, None, False)
            new_rows.add(row_key)
        if not rows:
            return
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if was_empty and columns and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self._update_count += 1
        self.check_idle()

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """One-line `LazyCell`s that fit their column are drawn as segments directly: the same
        result as DataTable's path (a `Styled(Padding(cell))` through Rich's `render_lines`, the
        largest part of painting a screenful), at a fraction of the cost. Everything else (the
        header, labels, other renderables, text that must be cropped) goes through DataTable.
        The snapshot tests hold both paths to the same pixels."""
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:  # no such cell: DataTable's own answer
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        # Looked up first: most cells of a repainted line did not change. DataTable keys the
        # cells it draws itself the same way: the same cell in the same state, the same lines.
        key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        lines = self._cell_render_cache.get(key)
        if lines is not None:
            return lines
        row = self.rows.get(row_key)
        cell = self._data.get(row_key, {}).get(column_key)
        pad = self.cell_padding
        inner = width - 2 * pad
        flex = self.flex.get(str(column_key.value))
        if flex is not None and isinstance(cell, LazyCell) and inner < cell.cell_len:
            cell = LazyCell(elide(cell.plain, inner, flex.elide), cell.style, cell.justify)
        if (
            not isinstance(cell, LazyCell)
            or row is None
            or row.height != 1
            or inner < cell.cell_len
            or "\n" in cell.plain
            or row_index < self.fixed_rows
            or column_index < self.fixed_columns
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component, post = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        # DataTable adds the cell's meta (row, column: for the mouse) first and the other
        # styles to it; a meta style is new for every cell, so each of those additions
        # missed Rich's cache and hashed a new style. The same styles, the meta added last
        # (it holds no colour or attribute): the rest repeats from cell to cell and is cached.
        meta = Style.from_meta({"row": row_index, "column": column_index})
        pre = base_style + component
        room = inner - cell.cell_len
        left = pad + (room if cell.justify == "right" else 0)
        right = pad + (0 if cell.justify == "right" else room)
        edge = pre + post
        text_style = (pre + Style.parse(cell.style) + post if cell.style else edge) + meta
        edge += meta
        segments = [Segment(" " * left, edge)] if left else []
        if cell.plain:
            segments.append(Segment(cell.plain, text_style))
        if right:
            segments.append(Segment(" " * right, edge))
        lines = [segments]
        self._cell_render_cache[key] = lines
        return lines

    def visible_rows(self) -> range:
        """Indices of the rows on screen now (a row or two of margin)."""
        first = max(0, int(self.scroll_y) - 2)
        return range(first, min(self.row_count, first + self.size.height + 4))

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        rows = list(new_rows)
        plain = True
        columns = self.ordered_columns
        keys = [c.key for c in columns]
        widths = [c.content_width for c in columns]
        one_line = (Text, LazyCell)
        for row_key in rows:
            row_index = self._row_locations.get(row_key)
            row = self.rows.get(row_key)
            if row_index is None or row is None:
                continue  # removed before the table was idle
            if row.label is not None or row.auto_height:
                plain = False
                break
            cells = self._data.get(row_key, {})
            # A row's cells are kept in column order (add_row, add_column): read them so when
            # they are, without hashing a ColumnKey (a Python `__hash__`) for each of 10,000.
            line = cells.values() if list(cells) == keys else [cells.get(k) for k in keys]
            for i, cell in enumerate(line):
                if not isinstance(cell, one_line) or "\n" in cell.plain:
                    plain = False
                    break
                if cell.cell_len > widths[i]:
                    widths[i] = cell.cell_len
            if not plain:
                break
        if not plain:
            super()._update_dimensions(rows)
        else:
            for column, width in zip(columns, widths, strict=True):
                column.content_width = width
        if self.flex:
            self._fit_columns()
        # The rest of DataTable's bookkeeping for new rows: the scrollable size.
        super()._update_dimensions([])

    def elided(self) -> set[str]:
        """The flexible columns now narrower than their content."""
        return {
            str(c.key.value)
            for c in self.ordered_columns
            if str(c.key.value) in self.flex and not c.auto_width and c.width < c.content_width
        }

    def refit(self) -> None:
        """Fit the columns again now (a header label changed)."""
        if self.flex:
            self._fit_columns()
            super()._update_dimensions([])
        self.refresh()

    def _fit_columns(self) -> None:
        """Flexible columns at their content's width, narrowed to fit the room (column_fit)."""
        room = self.scrollable_content_region.width
        if room <= 0:
            return
        columns = self.ordered_columns
        natural = {}
        for column in columns:
            key = str(column.key.value)
            content = max(column.content_width, column.label.cell_len)
            fixed = column.get_render_width(self) - 2 * self.cell_padding
            natural[key] = content if key in self.flex else fixed
        room -= 2 * self.cell_padding * len(columns)
        # never narrower than the header (with its sort arrow)
        flex = {
            key: replace(f, minimum=max(f.minimum, self.columns[ColumnKey(key)].label.cell_len))
            for key, f in self.flex.items()
            if ColumnKey(key) in self.columns
        }
        fitted = fit_widths(natural, flex, room)
        changed = False
        for column in columns:
            key = str(column.key.value)
            if key in self.flex and (column.auto_width or column.width != fitted[key]):
                column.auto_width, column.width = False, fitted[key]
                changed = True
        if changed:
            self._update_count += 1  # the render caches are keyed by it: redraw every cell
            self.refresh()
            self.post_message(self.ColumnsFitted())
