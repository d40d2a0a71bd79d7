"""The small form for environment values adopt left unknown (App detail, `e`): one field per
unknown variable (a secret's typed masked), and for a catalog-generated secret a Generate
switch instead of typing. Save answers `(values, generate)`; a blank field leaves its variable
unknown. The screen only collects: `AppService.set_env` checks and writes (one operation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Switch

if TYPE_CHECKING:
    from proximity_tui.services.operations.environment import EnvValue

Answer = tuple[dict[str, str], tuple[str, ...]]
BLANK = "leave blank: stays unknown"


class EnvFormScreen(ModalScreen[Answer | None]):
    DEFAULT_CSS = """
    EnvFormScreen .env-row { height: auto; margin-bottom: 1; }
    EnvFormScreen .env-row Input { width: 1fr; }
    EnvFormScreen .env-row Label { margin: 1 1 0 2; }
    EnvFormScreen #items { max-height: 20; }
    EnvFormScreen #dialog > .note { width: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, hostname: str, unknown: list[EnvValue]) -> None:
        super().__init__()
        self.hostname = hostname
        self.unknown = unknown

    def compose(self) -> ComposeResult:
        yield Footer()
        n = len(self.unknown)
        with Vertical(id="dialog", classes="dialog"):
            yield Label(
                f"{self.hostname}: {n} value{'s' if n != 1 else ''} unknown",
                id="title",
                markup=False,
            )
            with VerticalScroll(id="items"):
                for i, var in enumerate(self.unknown):
                    kind = " (secret)" if var.secret else ""
                    yield Label(f"{var.name}{kind}  {var.description}".rstrip(), markup=False)
                    with Horizontal(classes="env-row"):
                        yield Input(
                            placeholder=BLANK,
                            password=var.secret,
                            id=f"value-{i}",
                        )
                        if var.generated:
                            yield Label("Generate", classes="note")
                            yield Switch(id=f"generate-{i}")
            yield Label(
                "The values go into the CT's .env and this database; the app reads them at its "
                "next update. The CT must be running.",
                classes="note",
                markup=False,
            )
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        if self.unknown:
            self.query_one("#value-0", Input).focus()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        index = str(event.switch.id).removeprefix("generate-")
        field = self.query_one(f"#value-{index}", Input)
        field.disabled = event.value
        field.placeholder = "a new one is generated" if event.value else BLANK

    def answer(self) -> Answer:
        values: dict[str, str] = {}
        generate: list[str] = []
        for i, var in enumerate(self.unknown):
            switches = self.query(f"#generate-{i}")
            if switches and switches.first(Switch).value:
                generate.append(var.name)
                continue
            value = self.query_one(f"#value-{i}", Input).value
            if value:
                values[var.name] = value
        return values, tuple(generate)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def _save(self) -> None:
        values, generate = self.answer()
        if not values and not generate:
            self.notify(
                "Nothing entered: type a value or switch Generate on, or Escape to cancel.",
                severity="warning",
                markup=False,
            )
            return
        self.dismiss((values, generate))

    def action_cancel(self) -> None:
        self.dismiss(None)
