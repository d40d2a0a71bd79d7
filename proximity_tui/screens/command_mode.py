"""k9s's `:` command mode: a one-line prompt at the bottom (`:apps`, `:catalog`, `:ops`, `:q`,
`:deploy NAME`, `:open HOST`, `:help`, `:doctor`).

`resolve` is pure (the words, the catalog's names and the apps' hostnames in; a `Command` or the
line to show out), so the prompt and the tests read the same rules. Tab completes the command word,
then a catalog entry or a hostname; an unknown word names the close match and changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp

#: Command word -> (what it does, its help). Aliases point at the same action.
COMMANDS: dict[str, tuple[str, str]] = {
    "apps": ("mode:apps", "the Apps list"),
    "catalog": ("mode:catalog", "the Catalog list"),
    "operations": ("mode:operations", "the Operations list"),
    "ops": ("mode:operations", "the Operations list"),
    "deploy": ("deploy", "deploy NAME: the deploy form of a catalog entry"),
    "open": ("open", "open HOST: an app's detail"),
    "help": ("help", "the keys of this screen"),
    "doctor": ("doctor", "the host check"),
    "quit": ("quit", "quit (asks first while operations run)"),
    "q": ("quit", "quit"),
}
#: The words that take an argument, and what it names.
ARGUMENT = {"deploy": "catalog entry", "open": "app"}


@dataclass(frozen=True)
class Command:
    action: str  # "mode:apps", "deploy", "open", "help", "doctor", "quit"
    argument: str = ""  # the catalog ref (deploy) or app id (open)


def _close(word: str, choices: list[str]) -> str | None:
    import difflib  # only when a name is wrong

    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return found[0] if found else None


def resolve(text: str, entries: Mapping[str, str], apps: Mapping[str, str]) -> Command | str:
    """`text` (without the colon) as a `Command`, or the line that says why not.

    `entries`: catalog name, id or ref (lower case) -> ref; `apps`: hostname -> app id."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return "type a command: apps, catalog, ops, deploy NAME, open HOST, help, q"
    word, rest = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    if word not in COMMANDS:
        near = _close(word, list(COMMANDS))
        hint = f"; did you mean :{near}?" if near else "; try apps, catalog, ops, deploy, help, q"
        return f"unknown command :{word}{hint}"
    action = COMMANDS[word][0]
    if word not in ARGUMENT:
        if rest:
            return f":{word} takes no argument"
        return Command(action)
    names = entries if word == "deploy" else apps
    what = ARGUMENT[word]
    if not rest:
        return f":{word} needs the {what}'s name (Tab completes)"
    key = rest.lower()
    if key in names:
        return Command(action, names[key])
    near = _close(key, list(names))
    hint = f"; did you mean {near}?" if near else ""
    return f"no {what} named {rest}{hint}"


def complete(text: str, entries: Mapping[str, str], apps: Mapping[str, str]) -> str:
    """`text` completed as far as it is unambiguous (the command word, then the argument)."""
    head, space, rest = text.partition(" ")
    if not space:
        words = sorted({w for w in COMMANDS if w.startswith(head.lower())})
        if len(words) == 1:
            return words[0] + (" " if words[0] in ARGUMENT else "")
        return os.path.commonprefix(words) or text if words else text
    if head.lower() not in ARGUMENT:
        return text
    names = entries if head.lower() == "deploy" else apps
    prefix = rest.lstrip().lower()
    found = sorted(n for n in names if n.startswith(prefix) and "/" not in n)
    if not found:
        return text
    return f"{head} {found[0] if len(found) == 1 else os.path.commonprefix(found)}"


class CommandModeScreen(ModalScreen[Command | None]):
    """The `:` prompt. Enter runs the command (or says what is wrong and stays), Escape closes."""

    DEFAULT_CSS = """
    CommandModeScreen { align: left bottom; background: $background 0%; }
    CommandModeScreen > Vertical { height: auto; width: 100%; background: $panel; }
    CommandModeScreen #command-line { height: 1; }
    CommandModeScreen #colon { width: 1; color: $accent; text-style: bold; }
    CommandModeScreen Input { border: none; height: 1; padding: 0; width: 1fr; }
    CommandModeScreen #command-error { height: auto; color: $error; padding: 0 1; }
    CommandModeScreen #command-error.-empty { display: none; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close"),
        # Not priority: it must act after the characters typed before it (a burst `ca⏎`) reached
        # the field. The App's priority Tab (focus) is off on this screen (`check_action`).
        Binding("tab", "complete", "Complete"),
    ]
    HELP_TITLE = "Command mode"

    def __init__(self) -> None:
        super().__init__()
        self.error = ""

    @property
    def papp(self) -> ProximityApp:
        return cast("ProximityApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("", id="command-error", classes="-empty", markup=False)
            with Horizontal(id="command-line"):
                yield Label(":", id="colon")
                yield Input(id="command", placeholder="apps · catalog · ops · deploy NAME · q")

    def on_mount(self) -> None:
        # Synchronously (focus() is deferred): keys typed right after `:` belong here.
        self.set_focus(self.query_one(Input))

    def _names(self) -> tuple[dict[str, str], dict[str, str]]:
        app = self.papp
        entries: dict[str, str] = {}
        if app.services is not None:
            for e in app.services.catalog.entries:
                for name in (e.ref, e.id, e.name.lower().replace(" ", "-"), e.name.lower()):
                    entries.setdefault(name.lower(), e.ref)
        apps = {v.hostname.lower(): v.id for v in app.apps.values()}
        return entries, apps

    def _say(self, line: str) -> None:
        self.error = line
        label = self.query_one("#command-error", Label)
        label.update(line)
        label.set_class(not line, "-empty")

    def on_input_changed(self, _: Input.Changed) -> None:
        if self.error:
            self._say("")

    def action_complete(self) -> None:
        box = self.query_one(Input)
        done = complete(box.value, *self._names())
        if done != box.value:
            box.value = done
            box.cursor_position = len(done)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        outcome = resolve(event.value, *self._names())
        if isinstance(outcome, str):
            self._say(outcome)  # the prompt stays open with what was typed
            return
        self.dismiss(outcome)  # run by `run_command` once this prompt is gone

    def action_close(self) -> None:
        self.dismiss(None)


async def run_command(app: ProximityApp, command: Command | None) -> None:
    """What the prompt asked for, run once it has closed (the result callback)."""
    if command is None:
        return
    kind, _, mode = command.action.partition(":")
    if kind == "mode":
        await app.action_mode(mode)
    elif kind == "quit":
        await app.action_quit()
    elif kind == "help":
        app.action_help()
    elif kind == "doctor":
        app.action_doctor()
    elif kind == "deploy":
        app.open_deploy_form(command.argument)
    elif kind == "open":
        app.open_app(command.argument)
