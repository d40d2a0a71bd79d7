"""First run: connect to a Proxmox VE host (trusting its certificate explicitly) or start the demo.

Nothing is trusted silently: the certificate's SHA-256 fingerprint is read and shown, and only
after the user ticks that they checked it is it pinned. The connection is tried with the entered
values first; the config file (mode 0600) is written only once it worked.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from proximity_tui.services.doctor.checks_access import fix_hint

if TYPE_CHECKING:
    from proximity_tui.config import Settings
    from proximity_tui.services.doctor import Report

INTRO = (
    "Proximity deploys and manages apps on a Proxmox VE cluster through its API.\n"
    "Enter the host and an API token (recommended) or a password, check the certificate's "
    "fingerprint, and connect. Or try everything first on the built-in demo cluster: "
    "nothing real is touched."
)
SETUP_HELP = (
    "Connected as root@pam? 'Set up least-privilege user' creates the user proximity@pve, a role "
    "with only the privileges Proximity needs, a pool and an API token, then uses that token."
)
FINGERPRINT_HELP = (
    "Compare it with the host's: on the node run  "
    "openssl x509 -in /etc/pve/local/pve-ssl.pem -noout -fingerprint -sha256"
)


class ConnectScreen(Screen[Any]):
    BINDINGS = [Binding("f2", "demo", "Start the demo")]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.fingerprint: str | None = None

    def compose(self) -> ComposeResult:
        px = self.settings.proxmox
        with VerticalScroll(id="connect"), Vertical(classes="dialog", id="connect-box"):
            yield Label("Welcome to Proximity", id="title")
            yield Static(INTRO, classes="note", markup=False)
            with Horizontal(classes="row"):
                yield Input(px.host, placeholder="host", id="host")
                yield Input(str(px.port), placeholder="port", id="port", restrict=r"[0-9]*")
            yield Input(px.user, placeholder="user@realm", id="user")
            yield Select(
                [("API token", "token"), ("Password", "password")],
                value="token",
                allow_blank=False,
                id="auth",
            )
            yield Input(px.token_name or "", placeholder="token id (e.g. proximity)", id="token")
            yield Input(placeholder="token secret", password=True, id="secret")
            yield Input(placeholder="password", password=True, id="password")
            with Horizontal(classes="row"):
                yield Button("Fetch certificate", id="fetch")
                yield Label("", id="fingerprint", markup=False)
            yield Checkbox("I checked this fingerprint and trust it", id="trust", disabled=True)
            yield Static(FINGERPRINT_HELP, classes="note", markup=False)
            yield Static("", id="connect-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Start the demo", id="demo")
                yield Button("Check host", id="doctor-btn", disabled=True)
                setup = Button("Set up least-privilege user", id="setup-btn", disabled=True)
                setup.tooltip = SETUP_HELP
                yield setup
                yield Button("Connect", id="connect-btn", variant="primary", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#password").display = False
        self.query_one("#connect-error").display = False
        self.query_one("#host", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        token = event.value == "token"
        self.query_one("#token").display = token
        self.query_one("#secret").display = token
        self.query_one("#password").display = not token

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("host", "port"):
            self._reset_trust()
        self._update_connect()

    def on_checkbox_changed(self, _: Checkbox.Changed) -> None:
        self._update_connect()

    def _reset_trust(self) -> None:
        self.fingerprint = None
        self.query_one("#fingerprint", Label).update("")
        box = self.query_one("#trust", Checkbox)
        box.value = False
        box.disabled = True

    def _update_connect(self) -> None:
        ready = self.fingerprint is not None and self.query_one("#trust", Checkbox).value
        ready = ready and bool(self._value("host")) and bool(self._value("user"))
        for button in ("#connect-btn", "#doctor-btn", "#setup-btn"):
            self.query_one(button, Button).disabled = not ready

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "fetch":
            self._fetch()
        elif event.button.id == "demo":
            self.action_demo()
        elif event.button.id == "connect-btn":
            self._connect()
        elif event.button.id == "doctor-btn":
            self._doctor()
        elif event.button.id == "setup-btn":
            self._setup()

    def _doctor(self) -> None:
        """The doctor's checklist for the values entered (nothing saved)."""
        import asyncio

        from proximity_tui.screens.doctor import DoctorScreen
        from proximity_tui.services.doctor import check_settings

        settings = self._entered_settings()

        async def run() -> Report:
            # Its own loop in a thread: the check opens files and sockets of its own.
            return await asyncio.to_thread(asyncio.run, check_settings(settings))

        self.app.push_screen(DoctorScreen(run, title=f"Host check: {settings.proxmox.host}"))

    @work(group="connect-setup", exclusive=True, exit_on_error=False, thread=True)
    def _setup(self) -> None:
        """Run setup as the root@pam entered, then put the new token in the form (not saved
        until Connect succeeds with it)."""
        import asyncio

        from proximity_tui.services.setup import SetupNames, run_setup

        settings = self.app.call_from_thread(self._entered_settings)
        status = self.query_one("#connect-error", Static)
        lines: list[str] = []

        def say(line: str) -> None:
            lines.append(line)
            self.app.call_from_thread(status.update, "\n".join(lines))

        self.app.call_from_thread(setattr, status, "display", True)
        say("setting up a least-privilege user…")
        try:
            plan, result = asyncio.run(run_setup(settings, SetupNames(), say))
        except Exception as exc:
            say(f"✖ Setup failed: {exc}")
            return
        self.app.call_from_thread(self._use_token, plan.names, result.token_value)
        say(f"✔ Done. The form now uses the token {result.token_id}: press Connect to save it.")

    def _use_token(self, names: Any, secret: str) -> None:
        self.settings.deploy.pool = names.pool
        self.query_one("#user", Input).value = names.user
        self.query_one("#auth", Select).value = "token"
        self.query_one("#token", Input).value = names.token
        self.query_one("#secret", Input).value = secret

    def action_demo(self) -> None:
        self.app.exit("demo")

    @work(group="connect-fetch", exclusive=True, exit_on_error=False)
    async def _fetch(self) -> None:
        from proximity_tui.services.bootstrap import certificate_fingerprint

        label = self.query_one("#fingerprint", Label)
        label.update("reading the certificate…")
        try:
            fingerprint = await certificate_fingerprint(
                self._value("host"), int(self._value("port"))
            )
        except Exception as exc:
            label.update(f"✖ {exc}")
            return
        self.fingerprint = fingerprint
        label.update(f"SHA-256 {fingerprint}")
        self.query_one("#trust", Checkbox).disabled = False
        self._update_connect()

    def _entered_settings(self) -> Settings:
        settings = copy.deepcopy(self.settings)
        px = settings.proxmox
        px.host = self._value("host")
        px.port = int(self._value("port") or 8006)
        px.user = self._value("user")
        px.fingerprint = self.fingerprint
        px.verify_ssl = True
        if self.query_one("#auth", Select).value == "token":
            px.token_name, px.token_value, px.password = (
                self._value("token"),
                self.query_one("#secret", Input).value,
                None,
            )
        else:
            px.token_name = px.token_value = None
            px.password = self.query_one("#password", Input).value
        settings.configured = True
        return settings

    @work(group="connect-try", exclusive=True, exit_on_error=False, thread=True)
    def _connect(self) -> None:
        from proximity_tui.config import save_config_values
        from proximity_tui.services.bootstrap import build_services

        settings = self.app.call_from_thread(self._entered_settings)
        error = self.query_one("#connect-error", Static)
        self.app.call_from_thread(error.update, "connecting…")
        self.app.call_from_thread(setattr, error, "display", True)
        try:
            services = build_services(settings)
        except Exception as exc:
            message = f"✖ Could not connect: {exc}\n{fix_hint(exc)}"
            self.app.call_from_thread(error.update, message)
            return
        try:
            services.call(services.connect())
        except Exception as exc:
            services.close(wait=5)
            message = f"✖ Could not connect: {exc}\n{fix_hint(exc)}"
            self.app.call_from_thread(error.update, message)
            return
        px = settings.proxmox
        values = {
            "proxmox.host": px.host,
            "proxmox.port": px.port,
            "proxmox.user": px.user,
            "proxmox.fingerprint": px.fingerprint,
            "proxmox.token_name": px.token_name,
            "proxmox.token_value": px.token_value,
            "proxmox.password": px.password,
            "deploy.pool": settings.deploy.pool,
        }
        assert settings.config_path is not None
        save_config_values(settings.config_path, {k: v for k, v in values.items() if v})
        self.app.call_from_thread(self.app.exit, services)
