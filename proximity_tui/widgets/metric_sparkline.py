"""A labelled sparkline of recent values (CPU or memory) with the latest figure.

The bars are scaled against a fixed range (0..limit: all the CT's cores, its memory limit), not
against the series' own min and max, so a steady 0 % draws low and a full memory draws high.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label

from proximity_tui import glyphs


def bar_levels(values: Sequence[float], limit: float, width: int) -> list[float]:
    """`values` resampled to `width` columns (max per column), each as a fraction of `limit`."""
    n = len(values)
    if n == 0 or width <= 0 or limit <= 0:
        return []
    out = []
    for i in range(width):
        start = i * n // width
        end = max((i + 1) * n // width, start + 1)
        out.append(min(max(max(values[start:end]) / limit, 0.0), 1.0))
    return out


class FixedSparkline(Widget):
    """One line of bars, 0..`limit`; green for low, red for high."""

    DEFAULT_CSS = "FixedSparkline { height: 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.values: list[float] = []
        self.limit = 1.0

    def set_values(self, values: Sequence[float], limit: float) -> None:
        self.values = list(values)
        self.limit = limit
        self.refresh()

    def render(self) -> Text:
        low, high = Color.parse("green"), Color.parse("red")
        bars = glyphs.current().levels  # eight heights, Unicode blocks or ASCII
        text = Text()
        for level in bar_levels(self.values, self.limit, self.size.width):
            index = min(int(level * len(bars)), len(bars) - 1)
            color = low if level < 0.5 else Color.parse("yellow") if level < 0.85 else high
            text.append(bars[index], Style(color=color))
        return text


class MetricSparkline(Horizontal):
    DEFAULT_CSS = """
    MetricSparkline { height: 1; }
    MetricSparkline > .label { width: 5; color: $text-muted; }
    MetricSparkline > FixedSparkline { width: 1fr; height: 1; }
    MetricSparkline > .value { width: 16; padding-left: 1; }
    """

    def __init__(
        self, label: str, fmt: Callable[[float], str], *, with_limit: bool = False, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.label = label
        self.fmt = fmt
        self.with_limit = with_limit  # the figure reads `used/limit` (memory)

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="label")
        yield FixedSparkline()
        yield Label("-", classes="value")

    def set_values(self, values: Sequence[float], limit: float | None = None) -> None:
        """`limit` is the top of the scale; without one, the series' own maximum."""
        data = [float(v) for v in values]
        top = limit if limit and limit > 0 else max(data, default=0.0)
        self.query_one(FixedSparkline).set_values(data, top or 1.0)
        value = self.fmt(data[-1]) if data else "-"
        if data and self.with_limit and limit:
            value = f"{value}/{self.fmt(limit)}"
        self.query_one(".value", Label).update(value)
