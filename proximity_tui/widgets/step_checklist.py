"""The steps of an operation as a checklist: pending, running (spinner), done (duration), failed.

One widget renders every line (no widget per step), so a 12-step deploy redraws as one region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from proximity_tui import glyphs
from proximity_tui.widgets.format import human_duration

if TYPE_CHECKING:
    from textual.timer import Timer

#: State -> (glyph name in `glyphs.Glyphs`, style).
MARKS = {
    "pending": ("dot", "bright_black"),
    "done": ("ok", "green"),
    "failed": ("fail", "bold red"),
    "rolled_back": ("undo", "yellow"),
    "skipped": ("dash", "bright_black"),
}


@dataclass
class StepLine:
    name: str
    title: str
    state: str = "pending"  # pending | running | done | failed | rolled_back | skipped
    duration: float | None = None
    note: str = ""


class StepChecklist(Static):
    DEFAULT_CSS = """
    StepChecklist { height: auto; padding: 0 1; }
    """

    def __init__(self, steps: list[tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.steps: list[StepLine] = [StepLine(n, t) for n, t in (steps or [])]
        self._frame = 0
        self._timer: Timer | None = None

    def set_plan(self, plan: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> None:
        """Order the lines by `plan`, adding its steps not seen yet as pending (a screen opened
        mid-way knows the steps done so far from events and the rest only from the plan)."""
        if not plan:
            return
        known = {line.name: line for line in self.steps}
        ordered = [
            known.pop(name) if name in known else StepLine(name, title) for name, title in plan
        ]
        self.steps = ordered + [line for line in self.steps if line.name in known]
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def on_mount(self) -> None:
        if self.app.animation_level != "none":
            self._timer = self.set_interval(0.1, self._spin, pause=not self._any_running())
        self._redraw()

    def _any_running(self) -> bool:
        return any(s.state == "running" for s in self.steps)

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(glyphs.current().spinner)
        self._redraw()

    def step(self, name: str, title: str | None = None) -> StepLine:
        """The line for `name`, added at the end when the plan did not list it."""
        for line in self.steps:
            if line.name == name:
                if title and line.title == line.name:
                    line.title = title
                return line
        line = StepLine(name, title or name)
        self.steps.append(line)
        return line

    def set_state(
        self,
        name: str,
        state: str,
        *,
        title: str | None = None,
        duration: float | None = None,
        note: str | None = None,
    ) -> None:
        line = self.step(name, title)
        line.state = state
        if duration is not None:
            line.duration = duration
        if note is not None:
            line.note = note
        if self._timer is not None:
            if self._any_running():
                self._timer.resume()
            else:
                self._timer.pause()
        self._redraw()

    def mark_rolled_back(self) -> None:
        for line in self.steps:
            if line.state == "done":
                line.state = "rolled_back"
        self._redraw()

    def counts(self) -> tuple[int, int]:
        """(steps that ran to the end, all steps): a step later rolled back did finish."""
        done = sum(1 for s in self.steps if s.state in ("done", "skipped", "rolled_back"))
        return done, len(self.steps)

    def failed_at(self) -> int | None:
        """1-based position of the failed step, if one failed."""
        for i, line in enumerate(self.steps, 1):
            if line.state == "failed":
                return i
        return None

    def title_of(self, name: str | None) -> str | None:
        for line in self.steps:
            if line.name == name:
                return line.title
        return None

    def _redraw(self) -> None:
        # One line per step at any width: the title gives way (…) to the mark and the duration.
        width = self.content_size.width if self.is_mounted else 0
        g = glyphs.current()
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, line in enumerate(self.steps):
            if i:
                text.append("\n")
            took = ""
            if line.duration is not None and line.state != "pending":
                took = f"  {human_duration(line.duration)}"
            title = line.title
            room = width - 2 - len(took)
            if width and len(title) > room:
                title = title[: max(room - len(g.ellipsis), 4)] + g.ellipsis
            if line.state == "running":
                running = self._timer is not None
                mark = g.spinner[self._frame % len(g.spinner)] if running else g.current
                text.append(f"{mark} ", style="bold cyan")
                text.append(title, style="bold")
            else:
                name, style = MARKS.get(line.state, ("dot", ""))
                mark = getattr(g, name)
                text.append(f"{mark} ", style=style)
                text.append(title, style="bright_black" if line.state == "pending" else "")
            if took:
                text.append(took, style="bright_black")
            if line.note:
                text.append(f"  {line.note}", style="red" if line.state == "failed" else "yellow")
        self.update(text)
