"""A labelled sparkline of recent values (CPU or memory) with the latest figure."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Sparkline


class MetricSparkline(Horizontal):
    DEFAULT_CSS = """
    MetricSparkline { height: 1; }
    MetricSparkline > .label { width: 5; color: $text-muted; }
    MetricSparkline > Sparkline { width: 1fr; height: 1; }
    MetricSparkline > .value { width: 16; padding-left: 1; }
    """

    def __init__(self, label: str, fmt: Callable[[float], str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.label = label
        self.fmt = fmt

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="label")
        yield Sparkline([], summary_function=max)
        yield Label("-", classes="value")

    def set_values(self, values: Sequence[float]) -> None:
        data = [float(v) for v in values]
        self.query_one(Sparkline).data = data
        self.query_one(".value", Label).update(self.fmt(data[-1]) if data else "-")
