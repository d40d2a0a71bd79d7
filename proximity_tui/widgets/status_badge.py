"""A coloured status badge: as a Rich `Text` for table cells, and as a small widget."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from proximity_tui import glyphs

#: Status -> (glyph, style): the glyph by its name in `glyphs.Glyphs` (Unicode or ASCII, as the
#: terminal allows). Styles are plain colours so they read on every built-in theme.
STYLES: dict[str, tuple[str, str]] = {
    "running": ("running", "bold green"),
    "stopped": ("stopped", "bright_black"),
    "deploying": ("busy", "bold cyan"),
    "updating": ("busy", "bold cyan"),
    "removing": ("busy", "bold magenta"),
    "error": ("fail", "bold red"),
    "missing": ("?", "bold yellow"),
    "orphan": ("!", "yellow"),
    "succeeded": ("ok", "green"),
    "failed": ("fail", "bold red"),
    "rolled_back": ("undo", "yellow"),
    "interrupted": ("interrupted", "yellow"),
    "cancelled": ("undo", "yellow"),
}


def _glyph(name: str) -> str:
    return name if len(name) == 1 else getattr(glyphs.current(), name)


def status_label(status: str, *, busy: bool = False) -> tuple[str, str]:
    """The badge's text and style."""
    name, style = STYLES.get(status, ("dot", "white"))
    label = f"{_glyph(name)} {status}"
    if busy and status not in ("deploying", "updating", "removing"):
        label += f" {glyphs.current().ellipsis}"
    return label, style


def doing_label(doing: str) -> str:
    """What this UI is doing to an app, in place of its status (`◐ restoring…`)."""
    g = glyphs.current()
    return f"{g.busy} {doing}{g.ellipsis}"


def operation_label(status: str) -> tuple[str, str]:
    """An operation's status: one in progress is `◐`, never the running app's `●`."""
    if status == "running":
        return f"{glyphs.current().busy} running", "bold cyan"
    return status_label(status)


def operation_text(status: str) -> Text:
    label, style = operation_label(status)
    return Text(label.replace("_", " "), style=style)


def status_text(status: str, *, stale: bool = False, busy: bool = False) -> Text:
    label, style = status_label(status, busy=busy)
    text = Text(label, style=style)
    if stale:
        text.stylize("dim")
    return text


class StatusBadge(Static):
    DEFAULT_CSS = """
    StatusBadge { width: auto; height: 1; }
    """

    status: reactive[str] = reactive("", layout=True)

    def __init__(self, status: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.status = status

    def watch_status(self, status: str) -> None:
        self.update(status_text(status) if status else "")
