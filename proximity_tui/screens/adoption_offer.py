"""The start-up offer to adopt: a modal listing the tagged CTs this database does not know (what
adopting them would record, conflicts and skips too) with Adopt / Not now / Never for this
cluster. "Never" is remembered in the database for this cluster (`AppService.decline_adoption`);
the orphan rows stay, and `A` or the palette still adopt them.
"""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

Answer = Literal["adopt", "later", "never"]


class AdoptionOfferScreen(ModalScreen[str]):
    # The note wraps inside the dialog (a Label is as wide as its text otherwise: cut off).
    DEFAULT_CSS = "AdoptionOfferScreen .note { width: 1fr; }"
    BINDINGS = [
        Binding("escape", "answer('later')", "Not now"),
        Binding("y", "answer('adopt')", "Adopt", show=False),
    ]

    def __init__(self, title: str, lines: list[str], cluster: str) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.cluster = cluster

    def compose(self) -> ComposeResult:
        yield Footer()
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, id="title", markup=False)
            with VerticalScroll(id="items"):
                yield Static("\n".join(f"• {line}" for line in self.lines), markup=False)
            yield Label(
                "Their app rows are rebuilt from the identity in each CT's description; "
                "environment values only the old database held stay unknown (e on the App "
                "detail re-enters or re-generates them).",
                classes="note",
                markup=False,
            )
            with Horizontal(classes="buttons"):
                yield Button(f"Never for {self.cluster}", id="never")
                yield Button("Not now", id="later")
                yield Button("Adopt", id="adopt", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#adopt", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(str(event.button.id))

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
