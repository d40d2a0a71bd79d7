"""The dashboard's net under `proximity_tui.text`: no outside text reaches the terminal raw.

Screens pass outside text (logs, errors, names) through `printable*` where they build widgets, and
`SafeLog` does it for every log line. `install()` is the net under those: Rich's `Text` and
Textual's `Content` only strip BEL, backspace, VT, FF and CR, and Textual's `Log` only replaces
U+0000-U+0014, so an ESC (OSC 52, window titles) or a bidi override in any other string would be
written out as is. `install()` makes both escape what `printable_lines` escapes, once per process
(`tests/ui/test_hostile_screens.py` holds it to the pinned Rich and Textual).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets import Log

from proximity_tui.text import printable_lines

_installed = False


def _sanitize(text: str, *_: Any) -> str:
    return printable_lines(text)


def install() -> None:
    global _installed
    if _installed:
        return
    import rich.text
    import textual.content

    rich.text.strip_control_codes = _sanitize  # type: ignore[assignment]
    textual.content._strip_control_codes = _sanitize  # type: ignore[assignment]
    _installed = True


class SafeLog(Log):
    """A `Log` whose lines are made printable first (container logs, operation messages)."""

    def write_lines(self, lines: Iterable[str], scroll_end: bool | None = None) -> Any:
        return super().write_lines([printable_lines(line) for line in lines], scroll_end)

    def write(self, data: str, scroll_end: bool | None = None) -> Any:
        return super().write(printable_lines(data), scroll_end)
