"""A one-line table cell that becomes a Rich `Text` only when it is drawn.

A table of 1,000 apps has 10,000 cells, and only the rows on screen are ever drawn: building a
`Text` for every cell up front costs a noticeable part of the first paint. `LazyCell` keeps the
plain text, its width and its style, and builds (then keeps) the `Text` on first render.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from proximity_tui.text import printable


class LazyCell:
    __slots__ = ("plain", "style", "justify", "cell_len", "_text")

    def __init__(self, plain: str, style: str = "", justify: str | None = None) -> None:
        # Stored text (names, URLs) may hold escapes. Printable ASCII (nearly every cell) is
        # as wide as it is long and has nothing to escape: 10,000 cells at start skip both.
        if plain.isascii() and plain.isprintable():
            self.plain = plain
            self.cell_len = len(plain)
        else:
            self.plain = printable(plain)
            self.cell_len = cell_len(self.plain)  # what is drawn: the escapes, not the controls
        self.style = style
        self.justify = justify
        self._text: Text | None = None

    def __rich__(self) -> Text:
        if self._text is None:
            self._text = Text(self.plain, style=self.style, justify=self.justify)  # type: ignore[arg-type]
        return self._text

    def __str__(self) -> str:
        return self.plain

    def __repr__(self) -> str:
        return f"LazyCell({self.plain!r}, {self.style!r})"
