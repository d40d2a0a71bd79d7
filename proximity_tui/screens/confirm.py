"""A confirmation dialog; a dangerous one asks to type a word (the hostname) first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # lazydocker's `y`: confirm without reaching for the button (not where a word must be
        # typed: the key goes to the field there)
        Binding("y", "confirm", "Yes", show=False),
    ]

    def __init__(
        self,
        title: str,
        lines: list[str] | None = None,
        *,
        confirm_label: str = "Confirm",
        require_text: str | None = None,
        danger: bool = False,
        note: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines or []
        self.confirm_label = confirm_label
        self.require_text = require_text
        self.danger = danger
        self.note = note

    def compose(self) -> ComposeResult:
        # The dialog's own keys, over the footer of the screen below (whose keys do not apply).
        yield Footer()
        with Vertical(id="dialog", classes="dialog -danger" if self.danger else "dialog"):
            yield Label(self.title_text, id="title", markup=False)
            if self.lines:
                with VerticalScroll(id="items"):
                    yield Static("\n".join(f"• {line}" for line in self.lines), markup=False)
            if self.note:
                yield Label(self.note, classes="note", markup=False)
            if self.require_text is not None:
                yield Label(f"Type {self.require_text!r} to confirm:", markup=False)
                # Not the word itself as the placeholder: it looked typed in already.
                yield Input(placeholder="type it here", id="require")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(
                    self.confirm_label,
                    id="confirm",
                    variant="error" if self.danger else "primary",
                    disabled=self.require_text is not None,
                )

    def on_mount(self) -> None:
        if self.require_text is not None:
            self.query_one("#require", Input).focus()
        else:  # Enter on a destructive dialog cancels; Tab (or a click) reaches the action
            self.query_one("#cancel" if self.danger else "#confirm", Button).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value != self.require_text

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value == self.require_text:
            self.dismiss(True)
        elif not event.value:
            self.notify(
                f"Nothing typed: type {self.require_text!r} to confirm, or Escape to cancel.",
                severity="warning",
                markup=False,
            )
        else:
            self.notify(f"Type {self.require_text!r} exactly.", severity="warning", markup=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        if self.require_text is None:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
