"""The deploy form (modal): hostname checked as you type, node, resources, settings, the plan.

Every check that needs the database or the cluster (hostname taken, the plan) runs on the service
loop in an exclusive worker after a short pause in typing, so the form never blocks and a slow
answer to an old value never overwrites a newer one. Dismisses with the operation id.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from proximity_tui.screens.deploy_plan import node_label, plan_text

HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
DEBOUNCE = 0.25


def hostname_problem(value: str) -> str | None:
    """Format problems a hostname has, without asking anyone (RFC 1123 label, lower case)."""
    if not value:
        return "a hostname is required"
    if len(value) > 63:
        return "at most 63 characters"
    if not HOSTNAME.match(value):
        return "lower-case letters, digits and '-', not starting or ending with '-'"
    return None


def default_hostname(catalog_id: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", catalog_id.lower()).strip("-")
    return name[:63].strip("-") or "app"


class DeployFormScreen(ModalScreen[int | None]):
    #: Seconds of quiet typing before asking the services (tests shorten it).
    debounce = DEBOUNCE

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+r", "reveal", "Reveal secrets"),
        Binding("ctrl+s", "deploy", "Deploy"),
    ]

    def __init__(self, entry: Any) -> None:
        super().__init__()
        self.entry = entry
        self.nodes: list[Any] = []
        self.hostname_error: str | None = "checking…"
        self.plan: Any | None = None
        self.revealed = False
        self._values = self._initial_env()
        self._checked_hostname = ""

    def _initial_env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for var in self.entry.env:
            if var.secret:
                values[var.name] = var.generate()
            else:
                values[var.name] = var.default or ""
        return values

    @property
    def services(self) -> Any:
        return self.app.services  # type: ignore[attr-defined]

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        entry = self.entry
        res = entry.resources
        with Vertical(classes="dialog", id="deploy-form"):
            yield Label(f"Deploy {entry.name}", id="title", markup=False)
            with VerticalScroll(id="form-body"):
                yield Label("Hostname", classes="field")
                yield Input(value=default_hostname(entry.id), id="hostname", compact=True)
                yield Label("", id="hostname-problem", classes="problem", markup=False)
                yield Label("Node", classes="field")
                yield Select([], id="node", prompt="loading nodes…", allow_blank=True, compact=True)
                with Horizontal(id="resources"):
                    for name, value, minimum, unit in (
                        ("cores", res.cores, res.min_cores, ""),
                        ("memory", res.memory, res.min_memory, " MB"),
                        ("disk", res.disk, res.min_disk, " GB"),
                    ):
                        with Vertical(classes="resource"):
                            yield Label(f"{name.title()} (min {minimum}{unit})", classes="field")
                            yield Input(
                                str(value), id=name, restrict=r"[0-9]*", max_length=7, compact=True
                            )
                yield Label("", id="resource-problem", classes="problem", markup=False)
                if entry.env:
                    yield Label("Settings  (* required; secrets generated, ctrl+r reveals)")
                    for var in entry.env:
                        mark = " *" if var.required else ""
                        kind = "  secret" if var.secret else ""
                        yield Label(f"{var.name}{mark}{kind}", classes="field env", markup=False)
                        if var.description:
                            yield Label(var.description, classes="note", markup=False)
                        yield Input(
                            self._values[var.name],
                            id=f"env-{var.name}",
                            password=var.secret,
                            classes="env-input",
                            compact=True,
                        )
                yield Label("Plan", classes="field")
                yield Static("working out the plan…", id="plan")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Deploy", id="deploy", variant="primary", disabled=True, compact=True)
        yield Footer()  # this form's keys (reveal, deploy, cancel), not the catalog's

    def on_mount(self) -> None:
        self.query_one("#hostname", Input).focus()
        self._load_nodes()
        self._check_hostname(self.query_one("#hostname", Input).value)

    @work(group="form-nodes", exclusive=True, exit_on_error=False)
    async def _load_nodes(self) -> None:
        select = self.query_one("#node", Select)
        try:
            self.nodes = await self.services.run(self.services.apps.nodes())
        except Exception as exc:
            select.set_options([])
            select.prompt = "nodes unavailable"
            self.notify(f"Could not list the nodes: {exc}", severity="error", markup=False)
            return
        online = [n for n in self.nodes if n.online]
        select.set_options([(node_label(n), n.name) for n in self.nodes])
        if online:
            best = max(online, key=lambda n: n.free_memory_mb)
            select.value = best.name
        self._schedule_plan()

    # --- values -----------------------------------------------------------------------------

    def _resources(self) -> tuple[dict[str, int], str | None]:
        res = self.entry.resources
        out: dict[str, int] = {}
        for name, minimum in (
            ("cores", res.min_cores),
            ("memory", res.min_memory),
            ("disk", res.min_disk),
        ):
            raw = self.query_one(f"#{name}", Input).value
            if not raw:
                return out, f"{name} is required"
            value = int(raw)
            if value < minimum:
                return out, f"{name} must be at least {minimum}"
            out[name] = value
        return out, None

    def _node(self) -> str | None:
        value = self.query_one("#node", Select).value
        return value if isinstance(value, str) else None

    def _environment(self) -> tuple[dict[str, str], str | None]:
        env: dict[str, str] = {}
        for var in self.entry.env:
            value = self.query_one(f"#env-{var.name}", Input).value
            if var.required and not value:
                return env, f"{var.name} is required"
            if "\n" in value or "\0" in value:
                return env, f"{var.name} must be one line"
            env[var.name] = value
        return env, None

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.hostname_error:
            out.append(f"hostname: {self.hostname_error}")
        _, res_problem = self._resources()
        if res_problem:
            out.append(res_problem)
        _, env_problem = self._environment()
        if env_problem:
            out.append(env_problem)
        if self.plan is not None:
            out.extend(self.plan.problems)
        elif not out:
            out.append("the plan is not ready yet")
        return out

    def _refresh_button(self) -> None:
        self.query_one("#deploy", Button).disabled = bool(self.problems())

    # --- live checks --------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        input_id = event.input.id or ""
        if input_id == "hostname":
            self.hostname_error = "checking…"
            self._check_hostname(event.value)
        elif input_id in ("cores", "memory", "disk"):
            _, problem = self._resources()
            self.query_one("#resource-problem", Label).update(f"✖ {problem}" if problem else "")
            self._schedule_plan()
        self._refresh_button()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._schedule_plan()

    @work(group="form-hostname", exclusive=True, exit_on_error=False)
    async def _check_hostname(self, value: str) -> None:
        label = self.query_one("#hostname-problem", Label)
        problem = hostname_problem(value)
        if problem is None:
            label.update("checking…")
            await asyncio.sleep(self.debounce)
            try:
                problem = await self.services.run(self.services.apps.check_hostname(value))
            except Exception as exc:
                problem = f"cannot check: {exc}"
        self.hostname_error = problem
        self._checked_hostname = value
        label.update(f"✖ {problem}" if problem else "✔ available")
        label.set_class(problem is not None, "-error")
        label.set_class(problem is None, "-ok")
        self._refresh_button()
        if problem is None:
            self._schedule_plan()

    def _schedule_plan(self) -> None:
        self._make_plan()

    @work(group="form-plan", exclusive=True, exit_on_error=False)
    async def _make_plan(self) -> None:
        await asyncio.sleep(self.debounce)
        hostname = self.query_one("#hostname", Input).value
        resources, res_problem = self._resources()
        view = self.query_one("#plan", Static)
        if res_problem or hostname_problem(hostname):
            self.plan = None
            view.update(Text("fix the fields above to see the plan", "bright_black"))
            self._refresh_button()
            return
        try:
            self.plan = await self.services.run(
                self.services.apps.plan_deploy(
                    self.entry.id, hostname, node=self._node(), **resources
                )
            )
        except Exception as exc:
            self.plan = None
            view.update(Text(f"✖ no plan: {exc}", "red"))
            self._refresh_button()
            return
        view.update(plan_text(self.plan))
        self._refresh_button()

    # --- actions ------------------------------------------------------------------------------

    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        for var in self.entry.env:
            if var.secret:
                self.query_one(f"#env-{var.name}", Input).password = not self.revealed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_deploy()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "deploy":
            self.action_deploy()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_deploy(self) -> None:
        hostname = self.query_one("#hostname", Input).value
        if hostname != self._checked_hostname:
            self.notify("Still checking the hostname…", severity="warning")
            return
        problems = self.problems()
        if problems:
            self.notify("Cannot deploy: " + "; ".join(problems), severity="error", markup=False)
            return
        self._start(hostname)

    @work(group="form-deploy", exclusive=True, exit_on_error=False)
    async def _start(self, hostname: str) -> None:
        resources, _ = self._resources()
        env, _ = self._environment()
        button = self.query_one("#deploy", Button)
        button.disabled = True
        try:
            op_id = await self.services.run(
                self.services.apps.start_deploy(
                    self.entry.id, hostname, node=self._node(), environment=env, **resources
                )
            )
        except Exception as exc:
            self.notify(f"Deploy refused: {exc}", severity="error", timeout=10, markup=False)
            button.disabled = False
            return
        if self.plan is not None:
            self.app.plans[op_id] = self.plan.steps  # type: ignore[attr-defined]
        self.dismiss(op_id)
