"""Running the dashboard (no subcommand).

First run without configuration shows the connect screen; `--demo` builds the demo services (the
embedded simulator with its own data dir). On exit, and at once on SIGHUP (the SSH session
dropped), the UI goes away and `services.close()` lets operations in flight finish headless.
"""

from __future__ import annotations

import argparse
import signal
from typing import Any

from proximity_tui.commands.common import settings_from_args


def run_tui(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
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

        return demo_data_dir() / "proximity.db"
    return settings.db_path


def _factory(settings: Any) -> Any:
    """Builds and connects the services in a worker thread, after the first paint."""

    def build() -> Any:
        if settings.demo:
            from proximity_tui.config import demo_data_dir
            from proximity_tui.services.demo import build_demo_services

            services = build_demo_services(demo_data_dir(), read_only=settings.ui.read_only)
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
    try:
        app.run()
        if app.startup_error is not None:
            raise app.startup_error
    finally:
        built = app.services
        if built is not None:
            if app.hung_up:
                # Nobody is watching: ignore further hangups while operations finish headless.
                signal.signal(signal.SIGHUP, signal.SIG_IGN)
            built.close()
    return app.return_code or 0
