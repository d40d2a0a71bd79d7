"""The deploy form (modal): hostname checked as you type, node, resources, settings, the plan.

Every check that needs the database or the cluster (hostname taken, the plan) runs on the service
loop in an exclusive worker after a short pause in typing, so the form never blocks and a slow
answer to an old value never overwrites a newer one. Dismisses with the operation id.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from proximity_tui.screens.deploy_plan import (
    Override,
    network_override,
    node_label,
    plan_text,
    resource_problems,
)
from proximity_tui.screens.key_hints import REVEAL_KEY
from proximity_tui.services.catalog.lint import unprivileged_risks
from proximity_tui.services.validation import RESERVED_HOSTNAMES
from proximity_tui.widgets.lower_input import LowerInput

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp
    from proximity_tui.service_views import DeployPlan, NodeChoice
    from proximity_tui.services.bootstrap import Services
    from proximity_tui.services.catalog.model import CatalogEntry

HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
DEBOUNCE = 0.25
#: Names a container must not take (the service refuses them too).
RESERVED = RESERVED_HOSTNAMES
#: The Node select's only option until the nodes are known (never a real node's name).
LOADING = "\x00loading"
NO_NODE = "\x00none"
#: The address override's fields: (id, title, placeholder, allowed characters).
NETWORK_FIELDS = (
    ("net-ip", "Address/CIDR or dhcp", "192.168.1.120/24", r"[0-9./a-zA-Z]*"),
    ("net-gw", "Gateway", "192.168.1.1", r"[0-9.]*"),
    ("net-vlan", "VLAN tag", "1-4094", r"[0-9]*"),
)
#: How many suffixes (`ntfy-2` ... ) the prefill tries before leaving the plain name.
PREFILL_TRIES = 20


def hostname_problem(value: str) -> str | None:
    """Format problems a hostname has, without asking anyone (RFC 1123 label, lower case)."""
    if not value:
        return "a hostname is required"
    if len(value) > 63:
        return "at most 63 characters"
    if not HOSTNAME.match(value):
        return "lower-case letters, digits and '-', not starting or ending with '-'"
    if value in RESERVED:
        return f"{value!r} names the machine itself: choose another hostname"
    return None


def default_hostname(catalog_id: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", catalog_id.lower()).strip("-")
    return name[:63].strip("-") or "app"


class DeployFormScreen(ModalScreen[int | None]):
    #: Seconds of quiet typing before asking the services (tests shorten it).
    debounce = DEBOUNCE
    HELP_TITLE = "Deploy form"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding(REVEAL_KEY, "reveal", "Reveal secrets"),
        Binding("ctrl+s", "deploy", "Deploy"),
        Binding("f1", "app.help", "Help"),  # `?` types into the text fields...
        Binding("question_mark", "app.help", "Help", show=False),  # ...and helps elsewhere
    ]

    def __init__(self, entry: CatalogEntry) -> None:
        super().__init__()
        self.entry = entry
        self.nodes: list[NodeChoice] = []
        self.nodes_loaded = False
        self.hostname_error: str | None = "checking…"
        self.plan: DeployPlan | None = None
        self.revealed = False
        self._values = self._initial_env()
        self._checked_hostname = ""
        self._planned_network: Override | None = None

    def _initial_env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for var in self.entry.env:
            if var.secret:
                values[var.name] = var.generate()
            else:
                values[var.name] = var.default or ""
        return values

    @property
    def services(self) -> Services:
        return cast("ProximityApp", self.app).ready_services

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        entry = self.entry
        res = entry.resources
        with Vertical(classes="dialog", id="deploy-form"):
            yield Label(f"Deploy {entry.name}", id="title", markup=False)
            with VerticalScroll(id="form-body"):
                yield Label("Hostname", classes="field")
                yield LowerInput(value=default_hostname(entry.id), id="hostname", compact=True)
                yield Label("", id="hostname-problem", classes="problem", markup=False)
                yield Label("Node  (memory free now)", classes="field")
                # A real option, not Select's blank prompt: the blank could be picked again.
                yield Select(
                    [("loading nodes…", LOADING)],
                    id="node",
                    value=LOADING,
                    allow_blank=False,
                    compact=True,
                )
                with Horizontal(id="resources"):
                    for name, value, minimum, unit in (
                        ("cores", res.cores, res.min_cores, "cores"),
                        ("memory", res.memory, res.min_memory, "MB"),
                        ("disk", res.disk, res.min_disk, "GB"),
                    ):
                        with Vertical(classes="resource"):
                            shown = "" if name == "cores" else f" {unit}"
                            yield Label(f"{name.title()} (min {minimum}{shown})", classes="field")
                            with Horizontal(classes="resource-input"):
                                yield Input(
                                    str(value),
                                    id=name,
                                    restrict=r"[0-9]*",
                                    max_length=7,
                                    compact=True,
                                )
                                yield Label(unit, classes="unit")
                yield Static("", id="resource-problem", classes="problems", markup=False)
                # Per-deploy address override, as the CLI's --ip/--gw/--vlan (empty: [deploy]).
                yield Label("Network  (empty: as [deploy] says)", classes="field", markup=False)
                with Horizontal(id="network"):
                    for name, title, hint, allowed in NETWORK_FIELDS:
                        with Vertical(classes="net"):
                            yield Label(title, classes="net-title")
                            yield Input(
                                "", id=name, placeholder=hint, restrict=allowed, compact=True
                            )
                yield Static("", id="network-problem", classes="problems", markup=False)
                if entry.env:
                    yield Label(
                        f"Settings  (* required; secrets generated, {REVEAL_KEY} reveals)",
                        id="settings",
                    )
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
                risks = unprivileged_risks(entry)
                if risks:  # refused unless the user says so, knowing why
                    yield Label("Cannot run as written in an unprivileged LXC:", classes="field")
                    for risk in risks:
                        yield Label(f"⚠ {risk}", classes="note", markup=False)
                    yield Checkbox("Deploy anyway", id="allow-risks", compact=True)
                yield Label("Plan", classes="field")
                yield Static("working out the plan…", id="plan")
            # Why the last ctrl+s was refused; cleared as soon as a field changes (never stale).
            yield Static("", id="submit-problem", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Deploy", id="deploy", variant="primary", disabled=True, compact=True)
        yield Footer()  # this form's keys (reveal, deploy, help, cancel), not the catalog's

    def on_mount(self) -> None:
        self.query_one("#hostname", Input).focus()
        self._load_nodes()
        self._prefill_hostname(self.query_one("#hostname", Input).value)

    @work(group="form-nodes", exclusive=True, exit_on_error=False)
    async def _load_nodes(self) -> None:
        select = self.query_one("#node", Select)
        try:
            self.nodes = await self.services.run(self.services.apps.nodes())
        except Exception as exc:
            select.set_options([("nodes unavailable", NO_NODE)])
            self.notify(f"Could not list the nodes: {exc}", severity="error", markup=False)
            self._refresh_button()
            return
        online = [n for n in self.nodes if n.online]
        options = [(node_label(n), n.name) for n in self.nodes]
        select.set_options(options or [("no nodes", NO_NODE)])
        if online:
            select.value = max(
                online, key=lambda n: (n.free_memory_mb is not None, n.free_memory_mb or 0)
            ).name
        self.nodes_loaded = True
        self._show_resource_problems()
        self._schedule_plan()

    @work(group="form-prefill", exclusive=True, exit_on_error=False)
    async def _prefill_hostname(self, base: str) -> None:
        """Propose a free name (`ntfy`, `ntfy-2`, ...) rather than one that is taken (mounting
        the field started the check of `base` already)."""
        field = self.query_one("#hostname", Input)
        for i in range(1, PREFILL_TRIES + 1):
            candidate = base if i == 1 else f"{base[:60].rstrip('-')}-{i}"
            try:
                problem = await self.services.run(self.services.apps.check_hostname(candidate))
            except Exception:
                break  # the check as you type will say why
            if problem is None:
                if candidate != base and field.value == base:  # the user has not typed
                    field.value = candidate  # Changed checks it again
                return

    # --- values -----------------------------------------------------------------------------

    def _resources(self) -> tuple[dict[str, int], list[str]]:
        """The resource fields' values, and every problem they have (minimums, free memory)."""
        values = {n: self.query_one(f"#{n}", Input).value for n in ("cores", "memory", "disk")}
        return resource_problems(
            self.entry.resources, values, self.nodes if self.nodes_loaded else [], self._node()
        )

    def _node(self) -> str | None:
        value = self.query_one("#node", Select).value
        return value if isinstance(value, str) and value not in (LOADING, NO_NODE) else None

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

    def _network(self) -> tuple[Override, str | None]:
        """The override's values as `start_deploy` takes them, and their problem (checked as
        the deploy checks them: `services/network.plan_network` with [deploy])."""
        texts = [self.query_one(f"#{n}", Input).value for n, *_ in NETWORK_FIELDS]
        return network_override(self.services.settings.deploy, *texts)

    def _request(self) -> dict[str, Any]:
        """The node, resources and address override, as `plan_deploy`/`start_deploy` take them."""
        resources, _ = self._resources()
        net = self._network()[0]
        return {
            "node": self._node(),
            "allow_risks": self._allow_risks(),
            **resources,
            **net._asdict(),
        }

    def _show_network_problem(self) -> None:
        _, problem = self._network()
        view = self.query_one("#network-problem", Static)
        view.update(f"✖ {problem}" if problem else "")
        view.set_class(bool(problem), "-error")

    def _plan_is_current(self) -> bool:
        """The plan was made for the values now in the fields (else its problems are stale)."""
        plan = self.plan
        if plan is None:
            return False
        resources, _ = self._resources()
        node = self._node()
        return (
            plan.hostname == self.query_one("#hostname", Input).value.strip().lower()
            and (node is None or plan.node == node)
            and all(getattr(plan, k) == v for k, v in resources.items())
            and self._planned_network == self._network()[0]
        )

    def problems(self) -> list[str]:
        """What stops the deploy, for the values in the fields now."""
        out: list[str] = []
        hostname = self.query_one("#hostname", Input).value
        if self.hostname_error and self._checked_hostname == hostname:
            error = self.hostname_error
            out.append(error if "hostname" in error else f"hostname: {error}")
        elif self._checked_hostname != hostname:
            out.append(hostname_problem(hostname) or "the hostname is still being checked")
        if not self.nodes_loaded:
            out.append("the node list is still loading")
        elif self._node() is None:
            out.append("no node to deploy on")
        out.extend(self._resources()[1])
        net_problem = self._network()[1]
        if net_problem:
            out.append(net_problem)
        _, env_problem = self._environment()
        if env_problem:
            out.append(env_problem)
        if self.plan is not None and self._plan_is_current():
            out.extend(p for p in self.plan.problems if p not in out)
        elif not out:
            out.append("the plan is not ready yet")
        return list(dict.fromkeys(out))

    def _refresh_button(self) -> None:
        self.query_one("#deploy", Button).disabled = bool(self.problems())

    def _show_resource_problems(self) -> None:
        _, problems = self._resources()
        text = "\n".join(f"✖ {p}" for p in problems)
        view = self.query_one("#resource-problem", Static)
        view.update(text)
        view.set_class(bool(problems), "-error")

    # --- live checks --------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        input_id = event.input.id or ""
        self._say_refused([])
        # The plan depends on the hostname, resources and node only: an environment value does
        # not make it stale (dropping it there left "working out the plan…" for ever).
        if input_id == "hostname":
            self._drop_plan()
            self.hostname_error = "checking…"
            self._check_hostname(event.value)
        elif input_id in ("cores", "memory", "disk"):
            self._drop_plan()
            self._show_resource_problems()
            self._schedule_plan()
        elif input_id.startswith("net-"):
            self._drop_plan()
            self._show_network_problem()
            self._schedule_plan()
        self._refresh_button()

    def _allow_risks(self) -> bool:
        boxes = self.query("#allow-risks").results(Checkbox)
        return any(box.value for box in boxes)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "allow-risks":
            self._drop_plan()
            self._say_refused([])
            self._schedule_plan()
            self._refresh_button()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._drop_plan()
        self._say_refused([])
        self._show_resource_problems()
        self._schedule_plan()
        self._refresh_button()

    def _drop_plan(self) -> None:
        """A field changed: the plan (and its problems) described the old values."""
        if self.plan is not None:
            self.plan = None
            self.query_one("#plan", Static).update(Text("working out the plan…", "bright_black"))

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
        self._hostname_checked(value, problem)

    def _hostname_checked(self, value: str, problem: str | None) -> None:
        self.hostname_error = problem
        self._checked_hostname = value
        label = self.query_one("#hostname-problem", Label)
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
        resources, res_problems = self._resources()
        view = self.query_one("#plan", Static)
        if not self.nodes_loaded:
            return  # planned again once the nodes are in
        if len(resources) < 3 or hostname_problem(hostname):
            self.plan = None
            view.update(Text("fix the fields above to see the plan", "bright_black"))
            self._refresh_button()
            return
        self._planned_network = self._network()[0]
        try:
            self.plan = await self.services.run(
                self.services.apps.plan_deploy(self.entry.ref, hostname, **self._request())
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
        if hostname != self._checked_hostname and not hostname_problem(hostname):
            self.notify("Still checking the hostname…", severity="warning")
            return
        problems = self.problems()
        if problems == ["the plan is not ready yet"]:
            self.notify("Still working out the plan…", severity="warning")
            return
        self._say_refused(problems)
        if not problems:
            self._start(hostname)

    def _say_refused(self, problems: list[str]) -> None:
        view = self.query_one("#submit-problem", Static)
        view.update("✖ Cannot deploy: " + "; ".join(problems) if problems else "")
        view.set_class(bool(problems), "-error")

    @work(group="form-deploy", exclusive=True, exit_on_error=False)
    async def _start(self, hostname: str) -> None:
        env, _ = self._environment()
        button = self.query_one("#deploy", Button)
        button.disabled = True
        try:
            op_id = await self.services.run(
                self.services.apps.start_deploy(
                    self.entry.ref, hostname, environment=env, **self._request()
                )
            )
        except Exception as exc:
            self.notify(f"Deploy refused: {exc}", severity="error", timeout=10, markup=False)
            button.disabled = False
            return
        if self.plan is not None:
            self.app.plans[op_id] = self.plan.steps  # type: ignore[attr-defined]
        self.dismiss(op_id)
