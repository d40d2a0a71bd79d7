"""Pick one value in each of a few short lists (a backup's mode and storage, a clone's node),
then confirm."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Select


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    options: tuple[str, ...]
    #: The preselected option (the first when empty).
    default: str = ""
    #: What the list shows for each option (the option itself when empty).
    labels: tuple[str, ...] = ()


class ChoicesScreen(ModalScreen[dict[str, str] | None]):
    """Dismisses with {choice key: chosen option}, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    #: The note wraps inside the dialog instead of running past its edge.
    DEFAULT_CSS = "ChoicesScreen .note { width: 100%; }"

    def __init__(
        self, title: str, choices: list[Choice], *, note: str = "", confirm_label: str = "OK"
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.note = note
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        yield Footer()
        with Vertical(classes="dialog"):
            yield Label(self.title_text, id="title", markup=False)
            for c in self.choices:
                yield Label(c.label, markup=False)
                yield Select(
                    list(zip(c.labels or c.options, c.options, strict=True)),
                    value=c.default or c.options[0],
                    allow_blank=False,
                    id=f"choice-{c.key}",
                )
            if self.note:
                yield Label(self.note, classes="note", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    def chosen(self) -> dict[str, str]:
        return {c.key: str(self.query_one(f"#choice-{c.key}", Select).value) for c in self.choices}

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.chosen() if event.button.id == "confirm" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
