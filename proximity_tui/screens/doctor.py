"""The doctor's checklist: what the host lacks and how to fix it (`proximity-tui doctor`'s twin).

Shown from the dashboard (F3 or the palette), automatically at start when something needed
fails, and from the connect screen's "Check host" button. The checks run on the service loop
(or a worker thread on the connect screen) through `run`, never on Textual's loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

if TYPE_CHECKING:
    from proximity_tui.services.doctor import Report

GLYPHS = {"ok": ("✔", "green"), "warn": ("▲", "yellow"), "fail": ("✖", "red")}


def checklist_text(report: Report) -> Text:
    """One line per check, its fix indented under it (plain text: no markup from the host)."""
    text = Text()
    for check in report.checks:
        glyph, style = GLYPHS[check.status]
        text.append(f"{glyph} ", style=style)
        text.append(check.name, style="bold")
        text.append(f"  {check.detail}\n")
        if check.status != "ok" and check.fix:
            for line in check.fix.splitlines():
                text.append(f"    fix: {line}\n", style="dim")
    return text


class DoctorScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("r", "recheck", "Check again"),
    ]

    def __init__(
        self,
        run: Callable[[], Awaitable[Report]],
        report: Report | None = None,
        *,
        title: str = "Host check",
    ) -> None:
        super().__init__()
        self._run = run
        self.report = report
        self.title_text = title

    def compose(self) -> ComposeResult:
        yield Footer()
        with Vertical(id="doctor", classes="dialog"):
            yield Label(self.title_text, id="title", markup=False)
            yield Label("", id="doctor-summary", markup=False)
            with VerticalScroll(id="doctor-items"):
                yield Static("", id="doctor-list", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Check again", id="recheck")
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        if self.report is None:
            self.action_recheck()
        else:
            self._show(self.report)
        self.query_one("#close", Button).focus()

    def _show(self, report: Report) -> None:
        from proximity_tui.services.doctor import summary

        self.report = report
        head = ("Ready: " if report.ok else "Not ready: ") + summary(report)
        self.query_one("#doctor-summary", Label).update(head)
        self.query_one("#doctor-list", Static).update(checklist_text(report))

    @work(group="doctor", exclusive=True, exit_on_error=False)
    async def action_recheck(self) -> None:
        self.query_one("#doctor-summary", Label).update("checking the host…")
        try:
            report = await self._run()
        except Exception as exc:  # shown, never fatal
            self.query_one("#doctor-summary", Label).update(f"✖ the check failed: {exc}")
            return
        self._show(report)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "recheck":
            self.action_recheck()
        else:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
