"""The dashboard's log view: follows its end, wraps or scrolls sideways, searches like less.

Textual's `Log` scrolls to new lines only while it is scrolled to the end; a resize moves that
end (a shorter pane has more to scroll) without moving the view, so the log silently stopped
following. This one remembers whether the reader was at the end and stays there after a resize;
`G` goes to the end and so follows again.

It keeps the raw lines (made printable on the way in, tabs expanded so offsets are cells) and
shows them as rows: one row per line with `w`rap off (long lines scroll sideways), or pieces of
the width with continuations indented. `/` (the screen's search box, `set_query`) highlights
every match and the current one distinctly, `n`/`N` move through them (wrapping around, like vim)
and hold the view where it is until `G`; `&` shows only the matching lines (less's `&`).
A query is applied after a short pause in typing (`DEBOUNCE`); new lines are searched as they
come, and only the rows on screen are ever drawn, so a long log stays quick.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer

from proximity_tui.text import printable_lines
from proximity_tui.widgets.format import wrap_line
from proximity_tui.widgets.log_search import Match, find_in, search_status
from proximity_tui.widgets.safe_text import SafeLog
from proximity_tui.widgets.vim_keys import SCROLL_KEYS

#: Seconds of quiet typing before a query is applied (each key would otherwise rescan the log).
DEBOUNCE = 0.15
INDENT = "  "


class FollowLog(SafeLog):  # its lines come from outside: made printable
    BINDINGS: ClassVar[list[BindingType]] = [
        *(b for b in SCROLL_KEYS if not (isinstance(b, Binding) and b.key == "G")),
        Binding("G", "follow_end", "Bottom, follow", show=False),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"follow-log--match", "follow-log--current"}
    DEFAULT_CSS = """
    FollowLog > .follow-log--match { background: $warning 45%; }
    FollowLog > .follow-log--current { background: $accent; text-style: bold underline; }
    """

    class StateChanged(Message):
        """Wrap, search or following changed: the screen's log header says it again."""

    def __init__(self, *args: Any, max_lines: int | None = None, wrap: bool = False, **kwargs):
        super().__init__(*args, **kwargs)  # no Log pruning: rows are kept in step with lines
        self.keep = max_lines
        self.wrap = wrap
        self._at_end = True
        #: Moving through matches holds the view (new lines no longer scroll it) until `G`.
        self._held = False
        self._raw: list[str] = []
        self._base = 0  # the absolute number of `_raw[0]` (old lines are dropped at `keep`)
        #: Per row on screen: (absolute line, offset of the row's text in it, indent width).
        self._rows: list[tuple[int, int, int]] = []
        self._wrapped_at = 0
        self.search_term = ""
        self.filtering = False
        self.matches: list[Match] = []
        self._by_line: dict[int, list[int]] = {}
        self._current: Match | None = None
        self._pending: tuple[str, bool] | None = None
        self._debounce: Timer | None = None

    # --- state ------------------------------------------------------------------------------

    @property
    def following(self) -> bool:
        return self._at_end and not self._held

    @property
    def current_index(self) -> int | None:
        if self._current is None:
            return None
        return bisect_left(self.matches, self._current)

    def status(self) -> str:
        """The header's words: wrap state and the search (`/error 3/17`)."""
        wrap = "wrap" if self.wrap else "no wrap"
        found = search_status(
            self.search_term, self.filtering, len(self.matches), self.current_index
        )
        return " · ".join(part for part in (wrap, found) if part)

    def on_mount(self) -> None:
        self._changed()

    def _changed(self) -> None:
        self.post_message(self.StateChanged())

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        at_end = new_value >= self.max_scroll_y
        if at_end != self._at_end:
            self._at_end = at_end
            self._changed()

    # --- lines ------------------------------------------------------------------------------

    def write_lines(self, lines: Iterable[str], scroll_end: bool | None = None) -> Any:
        self.add(list(lines))
        return self

    def write(self, data: str, scroll_end: bool | None = None) -> Any:
        self.add([data])
        return self

    def show(self, lines: list[str]) -> None:
        """Replace every line (and stop holding the view: a reload follows again)."""
        self._raw, self._base, self._rows, self._held = [], 0, [], False
        self.matches, self._by_line, self._current = [], {}, None
        self._wrapped_at = self._wrap_width()
        self.clear()
        self.add(lines)
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self._changed()

    def add(self, lines: list[str]) -> None:
        new = [
            row.expandtabs()
            for line in lines
            for row in printable_lines(line).split("\n")  # every other separator is escaped
        ]
        first = self._base + len(self._raw)
        self._raw.extend(new)
        found = False
        if self.search_term:
            for number, line in enumerate(new, first):
                if starts := find_in(line, self.search_term):
                    self._by_line[number] = starts
                    self.matches.extend((number, start) for start in starts)
                    found = True
        shown = [
            (number, line)
            for number, line in enumerate(new, first)
            if not self.filtering or number in self._by_line
        ]
        self._append_rows(shown)
        self._prune()
        if found:
            self._changed()

    def _append_rows(self, shown: list[tuple[int, str]], scroll_end: bool | None = None) -> None:
        texts: list[str] = []
        width = self._wrap_width()
        for number, line in shown:
            pieces = wrap_line(line, width, INDENT) if self.wrap else [line]
            offset = 0
            for index, piece in enumerate(pieces):
                indent = len(INDENT) if index else 0
                self._rows.append((number, offset, indent))
                offset += len(piece) - indent
                texts.append(piece)
        if texts:
            end = (not self._held) if scroll_end is None else scroll_end
            super().write_lines(texts, end)

    def _prune(self) -> None:
        extra = len(self._raw) - self.keep if self.keep else 0
        if extra <= 0:
            return
        del self._raw[:extra]
        self._base += extra
        rows = bisect_left(self._rows, self._base, key=lambda row: row[0])
        del self._rows[:rows]
        del self._lines[:rows]  # Log's own rows, pruned as Log._prune_max_lines does
        self._render_line_cache.clear()
        self.virtual_size = Size(self._width, len(self._lines))
        for number in range(self._base - extra, self._base):
            self._by_line.pop(number, None)
        del self.matches[: bisect_left(self.matches, (self._base, -1))]
        if self._current is not None and self._current[0] < self._base:
            self._current = self.matches[0] if self.matches else None
        if rows and not self.following:
            self.scroll_to(y=max(0, self.scroll_y - rows), animate=False, immediate=True)

    def _wrap_width(self) -> int:
        return max(self.size.width - 2, 0)  # room for the vertical scrollbar

    def _rebuild(self) -> None:
        """Rows again from the lines (wrap toggled, the width or the filter changed), keeping
        the line at the top of the view there, or the end when following."""
        top = None
        if self._rows and not self.following:
            top = self._rows[min(int(self.scroll_y), len(self._rows) - 1)][0]
        self._wrapped_at = self._wrap_width()
        self._rows = []
        self.clear()
        shown = [
            (number, line)
            for number, line in enumerate(self._raw, self._base)
            if not self.filtering or number in self._by_line
        ]
        self._append_rows(shown, scroll_end=False)
        if top is None:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            row = bisect_left(self._rows, top, key=lambda row: row[0])
            self.scroll_to(y=row, animate=False, immediate=True)

    def on_resize(self, _: Resize) -> None:
        if self.wrap and self._wrap_width() != self._wrapped_at:
            self._rebuild()
        elif self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    # --- search -----------------------------------------------------------------------------

    def set_query(self, query: str, *, filtering: bool = False, now: bool = False) -> None:
        """Search (highlight) or filter by `query`; applied after `DEBOUNCE` unless `now`."""
        self._pending = (query.strip().lower(), filtering)
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        if now:
            self._apply_query()
        else:
            self._debounce = self.set_timer(DEBOUNCE, self._apply_query)

    def _apply_query(self) -> None:
        self._debounce = None
        if self._pending is None:
            return
        (query, filtering), self._pending = self._pending, None
        if (query, filtering) == (self.search_term, self.filtering):
            return
        refilter = filtering or self.filtering
        self.search_term, self.filtering = query, filtering and bool(query)
        self.matches, self._by_line, self._current = [], {}, None
        if query:
            for number, line in enumerate(self._raw, self._base):
                if starts := find_in(line, query):
                    self._by_line[number] = starts
                    self.matches.extend((number, start) for start in starts)
        if refilter:
            self._rebuild()
        if self.matches and not self.filtering:
            self._current = self._first_from_view()
            self._show_current()
        self._render_line_cache.clear()
        self.refresh()
        self._changed()

    def _first_from_view(self) -> Match:
        """The first match on or below the top of the view, else the first (wrapping round)."""
        if self._rows:
            number, offset, _ = self._rows[min(int(self.scroll_y), len(self._rows) - 1)]
            at = bisect_left(self.matches, (number, offset))
            if at < len(self.matches):
                return self.matches[at]
        return self.matches[0]

    def action_next_match(self) -> None:
        self._step(1)

    def action_previous_match(self) -> None:
        self._step(-1)

    def _step(self, direction: int) -> None:
        if not self.matches:
            if self.search_term:
                self.notify(f"No match for {self.search_term!r}.", markup=False)
            return
        index = self.current_index
        if index is None:
            self._current = self._first_from_view()
        else:
            self._current = self.matches[(index + direction) % len(self.matches)]
        self._held = True
        self._show_current()
        self._render_line_cache.clear()
        self.refresh()
        self._changed()

    def _show_current(self) -> None:
        if self._current is None:
            return
        number, start = self._current
        row = bisect_left(self._rows, number, key=lambda row: row[0])
        while row + 1 < len(self._rows) and self._rows[row + 1][0] == number:
            if self._rows[row + 1][1] > start:
                break
            row += 1
        if row >= len(self._rows):
            return
        height = max(self.scrollable_content_region.height, 1)
        if not self.scroll_y <= row < self.scroll_y + height:
            self.scroll_to(y=max(0, row - height // 3), animate=False, immediate=True)
        column = start - self._rows[row][1] + self._rows[row][2]
        width = max(self.scrollable_content_region.width, 1)
        if not self.scroll_x <= column < self.scroll_x + width - len(self.search_term):
            self.scroll_to(x=max(0, column - width // 3), animate=False, immediate=True)

    def action_follow_end(self) -> None:
        self._held = False
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self._changed()

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap
        self.scroll_to(x=0, animate=False, immediate=True)
        self._rebuild()
        self._show_current()
        self._changed()

    # --- drawing ----------------------------------------------------------------------------

    def _render_line_strip(self, y: int, rich_style: Style) -> Strip:
        # Log draws a row from its plain text; a row with matches gets their styles on top.
        number, offset, indent = self._rows[y] if y < len(self._rows) else (-1, 0, 0)
        starts = self._by_line.get(number)
        if not starts or self.text_selection is not None or y >= len(self._lines):
            return super()._render_line_strip(y, rich_style)
        plain = self._process_line(self._lines[y])
        text = Text(plain, no_wrap=True)
        text.stylize(rich_style)
        match_style = self.get_component_rich_style("follow-log--match")
        current_style = self.get_component_rich_style("follow-log--current")
        size = len(self.search_term)
        for start in starts:
            begin = max(start - offset, 0) + indent
            end = min(start + size - offset + indent, len(plain))
            if begin < end and (start + size > offset):
                current = self._current == (number, start)
                text.stylize(current_style if current else match_style, begin, end)
        return Strip(text.render(self.app.console), cell_len(plain))
