"""The dashboard's ASCII / 16-colour mode (the Proxmox console, vt100, a C locale).

`install(app, on)` is called once by each App's constructor with the mode the command layer
decided (`glyphs.wanted`, kept in `settings.ui.ascii`). It switches the glyph table the widgets
draw with (`glyphs.current()`), selects Textual's `ansi-dark` theme with native ANSI colours,
and adds `AsciiFilter` after Textual's own line filters (NO_COLOR's among them): every line any
widget draws, Textual's borders, scroll bars and palette included, reaches the terminal in
ASCII (each character as wide as the one it replaces, so layouts hold) and in the 16 basic
colours (whatever truecolor is left is downgraded to the nearest of them).
"""

from __future__ import annotations

from functools import lru_cache

from rich.cells import get_character_cell_size
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.color import Color
from textual.filter import LineFilter

from proximity_tui import glyphs

THEME = "ansi-dark"


class AsciiFilter(LineFilter):
    """Every segment's text in ASCII, its colours among the 16 ANSI ones."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(_ascii_text(text), None if style is None else _standard(style), control)
            for text, style, control in segments
        ]


@lru_cache(maxsize=4096)
def _ascii_text(text: str) -> str:
    # Rich's widths: a strip's length must not change.
    return glyphs.asciify(text, get_character_cell_size)


@lru_cache(maxsize=1024)
def _standard(style: Style) -> Style:
    color, bgcolor = style.color, style.bgcolor
    if (color is None or color.is_system_defined) and (
        bgcolor is None or bgcolor.is_system_defined
    ):
        return style
    return style + Style.from_color(
        None if color is None else color.downgrade(ColorSystem.STANDARD),
        None if bgcolor is None else bgcolor.downgrade(ColorSystem.STANDARD),
    )


def install(app: App, ascii_only: bool) -> None:
    """Put `app` in the mode (or leave it as it is): call it from the constructor."""
    glyphs.use(ascii_only)
    if not ascii_only:
        return
    app.theme = THEME
    app.ansi_color = True
    # Textual keeps its filters (ANSI-to-truecolor, NO_COLOR's) in this list and applies them
    # in order to every strip (App.get_line_filters); ours runs last.
    app._filters.append(AsciiFilter())
