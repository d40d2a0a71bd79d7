"""Repainting a live table cheaply: only the rows whose cells changed, each at little cost.

DataTable's `update_cell` bumps the counter all its render caches are keyed by and repaints the
whole table, so one changed cell redraws every cell of every visible line, the header too: a
screenful of the Apps table took 35-40 ms, at every pvestatd round (issue 19's idle dashboard).
Here an update that cannot change the layout forgets only its row's cached renders and repaints
only that row's line; during one repaint, what every line asks for (the table's style, the zebra
row styles, the background, column widths, cursor settings) is computed once instead of walking
the DOM per line. It overrides private methods of the pinned Textual (8.2.8);
`tests/ui/test_live_table_repaint.py` holds the result to DataTable's own, cell for cell.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual._segment_tools import line_crop
from textual.cache import LRUCache
from textual.color import Color
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey


class CheapRepaint(DataTable):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: Cells (and their rows) updated since the last repaint: their cached renders are stale.
        self._touched: set[tuple[RowKey, ColumnKey]] = set()
        self._touched_rows: set[RowKey] = set()
        #: (update counter, row key -> its line): see `_line_of`.
        self._row_lines: tuple[int, dict[RowKey, int]] | None = None
        #: What every line of the repaint under way shares (None outside one).
        self._paint_memo: dict[Any, Any] | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._touched:
            self._forget_touched()
        # Nothing changes the table's styles while it paints: compute them once for all lines.
        self._paint_memo = {}
        try:
            return super().render_lines(crop)
        finally:
            self._paint_memo = None

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Any,
        *,
        update_width: bool = False,
    ) -> None:
        """DataTable's `update_cell`, repainting only the cell's row: the other rows (and the
        header) keep their cached renders. A width update, or a row taller than a line, takes
        DataTable's way (every cache invalidated, the whole table repainted)."""
        row_key = RowKey(row_key) if isinstance(row_key, str) else row_key
        column_key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        row = self.rows.get(row_key)
        if update_width or row is None or row.height != 1 or row.auto_height:
            super().update_cell(row_key, column_key, value, update_width=update_width)
            return
        if column_key not in self._column_locations:
            raise CellDoesNotExist(
                f"No cell exists for row_key={row_key!r}, column_key={column_key!r}."
            )
        self._data[row_key][column_key] = value
        if (row_key, column_key) in self._touched:
            return
        fresh = row_key not in self._touched_rows
        self._touched.add((row_key, column_key))
        self._touched_rows.add(row_key)
        if fresh:  # one repaint region per row, however many of its cells change
            y = self._line_of(row_key)
            width = max(self.size.width, self.virtual_size.width)
            self._refresh_region(Region(0, y, width, 1))

    def _line_of(self, row_key: RowKey) -> int:
        """The table line (header included) a one-line row is drawn on. DataTable's own
        `_get_row_region` adds up the heights of every row above: this indexes the lines once
        per layout of the rows (DataTable's update counter)."""
        lines = self._row_lines
        if lines is None or lines[0] != self._update_count:
            top = self.header_height if self.show_header else 0
            where = {key: top + y for y, (key, offset) in enumerate(self._y_offsets) if not offset}
            lines = self._row_lines = (self._update_count, where)
        return lines[1][row_key]

    def _forget_touched(self) -> None:
        """Drop the cached renders of the cells updated since the last repaint (the caches are
        keyed by DataTable's update counter, which `update_cell` left alone for them)."""
        touched, self._touched = self._touched, set()
        rows, self._touched_rows = self._touched_rows, set()
        where = self._row_locations.get
        indices = {i for i in (where(row) for row in rows) if i is not None}
        lines = {self._line_of(row) for row in rows if row in self._row_locations}
        caches: list[tuple[LRUCache[Any, Any], Callable[[Any], bool]]] = [
            (self._cell_render_cache, lambda k: (k[0], k[1]) in touched),
            (self._row_render_cache, lambda k: k[0] in rows),
            (self._row_renderable_cache, lambda k: k[1] in indices),
            (self._line_cache, lambda k: k[0] in lines),
        ]
        for cache, stale in caches:
            for key in [k for k in cache.keys() if stale(k)]:  # noqa: SIM118 - not a dict
                cache.discard(key)

    def _memoised(self, name: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once per repaint (while a memo is open), else every time."""
        memo = self._paint_memo
        if memo is None:
            return compute()
        if name not in memo:
            memo[name] = compute()
        return memo[name]

    @property
    def rich_style(self) -> Style:
        return self._memoised("rich_style", lambda: super(CheapRepaint, self).rich_style)

    @property
    def background_colors(self) -> tuple[Color, Color]:
        return self._memoised(
            "background_colors", lambda: super(CheapRepaint, self).background_colors
        )

    def render_line(self, y: int) -> Strip:
        """DataTable's `render_line` and `_render_line` inside a repaint, with what they ask per
        line (the size, the scroll offset, the fixed rows' height, cursor and hover, the column
        widths: reactives and DOM walks) read once per repaint. Cached as DataTable caches it."""
        memo = self._paint_memo
        if memo is None:
            return super().render_line(y)
        shared = memo.get("line")
        if shared is None:
            fixed_height = 0
            for i in range(self.fixed_rows):
                key = self._row_locations.get_key(i)
                fixed_height += 0 if key is None else self.get_row_height(key)
            if self.show_header:
                fixed_height += self.get_row_height(self._header_row_key)
            columns = self.ordered_columns[: self.fixed_columns]
            shared = memo["line"] = (
                self.size.width,
                self.scroll_offset,
                fixed_height,
                self.rich_style,
                self.cursor_coordinate,
                self.hover_coordinate,
                self.cursor_type,
                sum(column.get_render_width(self) for column in columns),
            )
        width, (scroll_x, scroll_y), fixed_height, style = shared[:4]
        cursor, hover, cursor_type, fixed_width = shared[4:]
        if y >= fixed_height:
            y += scroll_y
        try:
            row_key, y_offset_in_row = self._get_offsets(y)
        except LookupError:
            return Strip.blank(width, style)
        x1, x2 = scroll_x, scroll_x + width
        cache_key = (
            y,
            x1,
            x2,
            width,
            cursor,
            hover,
            style,
            cursor_type,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        strip = self._line_cache.get(cache_key)
        if strip is not None:
            return strip
        fixed, scrollable = self._render_line_in_row(
            row_key, y_offset_in_row, style, cursor_location=cursor, hover_location=hover
        )
        fixed_line: list[Segment] = list(chain.from_iterable(fixed)) if fixed else []
        scrollable_line: list[Segment] = list(chain.from_iterable(scrollable))
        segments = fixed_line + line_crop(scrollable_line, x1 + fixed_width, x2, width)
        strip = Strip(segments).adjust_cell_length(width, style).simplify()
        self._line_cache[cache_key] = strip
        return strip

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        memo = self._paint_memo
        if memo is None or row_index < self.fixed_rows:
            return super()._get_row_style(row_index, base_style)
        key = ("row_style", row_index % 2 if self.zebra_stripes else None, base_style)
        style = memo.get(key)
        if style is None:
            style = memo[key] = super()._get_row_style(row_index, base_style)
        return style

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list, list]:
        """DataTable's, for a table without row labels or fixed columns (ours), inside a
        repaint: the same segments, with what every line of a repaint shares (column widths,
        cursor settings, the background) computed once. Cached as DataTable caches it."""
        memo = self._paint_memo
        if (
            memo is None
            or self.fixed_columns
            or (self._labelled_row_exists and self.show_row_labels)
        ):
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        shared = memo.get("row")
        if shared is None:
            widths = [column.get_render_width(self) for column in self.ordered_columns]
            room = max(0, self.size.width - sum(widths) - self._row_label_column_width)
            shared = memo["row"] = (self.cursor_type, self.show_cursor, widths, room)
        cursor_type, show_cursor, widths, room = shared
        cache_key = (
            row_key,
            line_no,
            base_style,
            cursor_location,
            hover_location,
            cursor_type,
            show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        index = self._row_locations.get(row_key)
        row_index = -1 if index is None else index
        row_style = self._get_row_style(row_index, base_style)
        highlight = self._should_highlight
        render_cell = self._render_cell
        on_cursor = highlight(cursor_location, Coordinate(row_index, 0), cursor_type)
        on_hover = highlight(hover_location, Coordinate(row_index, 0), cursor_type)
        by_row = cursor_type in ("row", "none")  # the same answer for every cell of the row
        scrollable = []
        for column_index, width in enumerate(widths):
            if by_row:
                cursor, hover = on_cursor, on_hover
            else:
                cell = Coordinate(row_index, column_index)
                cursor = highlight(cursor_location, cell, cursor_type)
                hover = highlight(hover_location, cell, cursor_type)
            lines = render_cell(row_index, column_index, row_style, width, cursor, hover)
            scrollable.append(lines[line_no])
        if cursor_type == "row":
            extend_style, _ = self._get_styles_to_render_cell(
                row_index == -1,
                False,
                False,
                highlight(hover_location, Coordinate(row_index or 0, 0), cursor_type),
                row_index == cursor_location.row,
                show_cursor,
                self._show_hover_cursor,
                False,
                False,
            )
            extend_style = row_style + extend_style
        elif row_style.bgcolor is not None:
            faded = Color.from_rich_color(row_style.bgcolor).blend(
                self.background_colors[1], factor=0.25
            )
            extend_style = Style.from_color(color=row_style.color, bgcolor=faded.rich_color)
        else:
            extend_style = Style.from_color(row_style.color, row_style.bgcolor)
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        scrollable.append([Segment(" " * room, extend_style)])
        pair: tuple[list, list] = ([], scrollable)
        self._row_render_cache[cache_key] = pair
        return pair
