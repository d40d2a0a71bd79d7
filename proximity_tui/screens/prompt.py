"""Ask for one value (a new hostname), validated as it is typed by an async check; `lower`
lower-cases it as it is typed (a hostname, as the deploy form and the CLI do)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label

from proximity_tui.widgets.lower_input import LowerInput

Check = Callable[[str], Awaitable[str | None]]


class PromptScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        label: str,
        *,
        value: str = "",
        check: Check | None = None,
        confirm_label: str = "OK",
        lower: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.label = label
        self.value = value
        self.check = check
        self.confirm_label = confirm_label
        self.lower = lower
        self.problem: str | None = None
        self._checked = ""

    def compose(self) -> ComposeResult:
        # The dialog's own keys, over the footer of the screen below (whose keys do not apply).
        yield Footer()
        with Vertical(classes="dialog"):
            yield Label(self.title_text, id="title", markup=False)
            yield Label(self.label, markup=False)
            field = LowerInput if self.lower else Input
            yield field(value=self.value.lower() if self.lower else self.value, id="value")
            yield Label("", id="problem", classes="problem", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._validate(self.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = True
        self._validate(event.value)

    @work(group="prompt-check", exclusive=True, exit_on_error=False)
    async def _validate(self, value: str) -> None:
        problem = None if value.strip() else "required"
        if problem is None and self.check is not None:
            try:
                problem = await self.check(value.strip())
            except Exception as exc:
                problem = str(exc)
        self.problem = problem
        self._checked = value
        self.query_one("#problem", Label).update(f"✖ {problem}" if problem else "✔ available")
        self.query_one("#problem", Label).set_class(problem is not None, "-error")
        self.query_one("#confirm", Button).disabled = problem is not None

    def _accept(self) -> None:
        value = self.query_one(Input).value
        if value != self._checked or self.problem is not None:
            self.notify(self.problem or "still checking…", severity="warning", markup=False)
            return
        self.dismiss(value.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._accept()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self._accept()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
