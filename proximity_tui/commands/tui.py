"""Running the dashboard (no subcommand).

First run without configuration shows the connect screen; `--demo` builds the demo services (the
embedded simulator with its own data dir). On exit, and at once on SIGHUP (the SSH session
dropped), the UI goes away and `services.close()` lets operations in flight finish headless.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from proximity_tui.commands.common import settings_from_args
from proximity_tui.services.heartbeat import HEARTBEAT_MARK

if TYPE_CHECKING:
    from proximity_tui.services.bootstrap import Services


def run_tui(args: argparse.Namespace) -> int:
    from proximity_tui.glyphs import launch_environ, wanted

    settings = settings_from_args(args)
    # The dashboard always draws on a terminal, so TERM counts even when stdout is redirected.
    ascii_flag = settings.ui.ascii or bool(getattr(args, "ascii", False))
    settings.ui.ascii = wanted(ascii_flag, launch_environ())
    services: Any = None
    if not settings.demo and not settings.configured:
        from proximity_tui.app import make_connect_app

        outcome = make_connect_app(settings).run()
        if outcome is None:
            return 0
        if outcome == "demo":
            settings.demo = True
        else:
            services = outcome
    factory = preload = None
    if services is None:
        factory = _factory(settings)
        preload = _database_path(settings)
    return _run_dashboard(services, settings, factory, preload)


def _database_path(settings: Any) -> Any:
    if settings.demo:
        from proximity_tui.config import demo_data_dir

        return demo_data_dir(settings.demo_profiles) / "proximity.db"
    return settings.db_path


def _factory(settings: Any) -> Any:
    """Builds and connects the services in a worker thread, after the first paint."""

    def build() -> Any:
        if settings.demo:
            from proximity_tui.config import demo_data_dir
            from proximity_tui.demo import build_demo_services

            services = build_demo_services(
                demo_data_dir(settings.demo_profiles),
                read_only=settings.ui.read_only,
                profiles=settings.demo_profiles,
            )
        else:
            from proximity_tui.services.bootstrap import build_services

            services = build_services(settings)
        try:
            services.call(services.connect())
        except BaseException:
            services.close(wait=5)
            raise
        return services

    return build


def _run_dashboard(services: Any, settings: Any, factory: Any, preload: Any = None) -> int:
    from proximity_tui.app import make_app

    app = make_app(
        services, settings, services_factory=factory, handle_sighup=True, preload_db=preload
    )
    running = threading.Event()
    running.set()
    headless = threading.Thread(
        target=_finish_headless_on_hangup, args=(app, running), name="hangup", daemon=True
    )
    headless.start()
    try:
        app.run()
        if app.startup_error is not None:
            raise app.startup_error
    finally:
        if app.hung_up:
            headless.join()  # it closes the services, then ends the process
        running.clear()
        built = app.services
        if built is not None:
            _close_after_quit(built)
    return app.return_code or 0


def _close_after_quit(services: Services) -> None:
    """The user quit: operations in flight finish (or roll back) before the process ends, even
    if the SSH session drops meanwhile (SIGHUP is ignored from here on); Ctrl-C cancels them."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # Textual's Linux driver leaves its SIGCONT/SIGTSTP handlers behind; a dropped session sends
    # SIGCONT, and that handler (restarting a UI that is gone) would break the wait below.
    for sig in (signal.SIGCONT, signal.SIGTSTP):
        signal.signal(sig, signal.SIG_DFL)
    from proximity_tui.services.events import FINISHED, LOG, STEP_STARTED

    running = set(services.apps.running_operations())
    ended: dict[int, Any] = {}
    unsubscribe = None
    if running:
        _say(
            f"proximity-tui: waiting for {len(running)} operation(s) to finish "
            "(Ctrl-C cancels them: they roll back)"
        )

        def remember(event: Any) -> None:  # on the service loop: store it, or one short line
            if event.op_id not in running:
                return
            if event.kind == FINISHED:
                ended[event.op_id] = event
            elif event.kind == STEP_STARTED or (
                event.kind == LOG and event.message.startswith(HEARTBEAT_MARK)
            ):
                # The wait is not silent: each step it reaches, and the long waits' heartbeat.
                _say(f"proximity-tui: {_name(event)}: {event.message.removeprefix(HEARTBEAT_MARK)}")

        unsubscribe = services.apps.events.subscribe(remember)
    try:
        services.close()
    except KeyboardInterrupt:
        for op_id in services.apps.running_operations():
            services.apps.cancel_operation(op_id, "cancelled by the user (Ctrl-C on quit)")
        _say("proximity-tui: cancelling; rolling back what was started")
        services.close_again()  # close() was interrupted half-way: run it to the end
    finally:
        if unsubscribe is not None:
            unsubscribe()
    # The UI is gone: say how each one ended, so the user need not open the journal.
    for op_id in sorted(running):
        event = ended.get(op_id)
        _say(_ended_line(op_id, event))


def _name(event: Any) -> str:
    """ "deploy of web": the operation an event belongs to."""
    return f"{event.operation} of {event.hostname or event.app_id or f'operation #{event.op_id}'}"


def _ended_line(op_id: int, event: Any) -> str:
    if event is None:
        return f"proximity-tui: operation #{op_id} did not end before the program stopped"
    status = (event.status or "ended").replace("_", " ")
    text = f"proximity-tui: {_name(event)} {status}"
    return text + (f": {event.message}" if event.status != "succeeded" and event.message else "")


def _say(text: str) -> None:
    with contextlib.suppress(OSError):  # the terminal may be gone
        print(text, file=sys.stderr, flush=True)


def _finish_headless_on_hangup(app: Any, running: threading.Event) -> None:
    """After SIGHUP nobody is watching: let the operations in flight finish (or roll back), then
    end the process. Done here, not after `app.run()`: once the terminal is gone Textual's output
    thread dies on EIO and its teardown can then block forever on that thread's full queue."""
    while running.is_set() and not app.hung_up:
        time.sleep(0.1)
    if not app.hung_up:
        return
    built = app.services
    if built is not None:
        with contextlib.suppress(Exception):  # the next start says how they ended
            built.call(built.apps.note_away(), timeout=10)
        built.close()
    os._exit(129)
