"""A one-line usage bar: `CPU ▇▇▇▇▁▁▁▁  42%`, coloured by how full it is."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from proximity_tui import glyphs


def bar_text(label: str, fraction: float | None, detail: str = "", width: int = 20) -> Text:
    g = glyphs.current()
    text = Text(f"{label:<4}")
    if fraction is None:
        text.append(g.dot * width, style="bright_black")
        text.append("  -")
        return text
    fraction = min(max(fraction, 0.0), 1.0)
    filled = round(fraction * width)
    style = "green" if fraction < 0.7 else "yellow" if fraction < 0.9 else "red"
    text.append(g.bar_full * filled, style=style)
    text.append(g.bar_empty * (width - filled), style="bright_black")
    text.append(f" {fraction * 100:5.1f}%")
    if detail:
        text.append(f"  {detail}", style="bright_black")
    return text


class ResourceBar(Static):
    DEFAULT_CSS = """
    ResourceBar { height: 1; width: 1fr; }
    """

    fraction: reactive[float | None] = reactive(None)
    detail: reactive[str] = reactive("")

    def __init__(self, label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.label = label

    def render(self) -> Text:
        width = max(8, min(30, self.size.width - 20))
        return bar_text(self.label, self.fraction, self.detail, width)
