"""Small helpers for Pilot tests: waiting for a condition, reading table cells, reaching the
deploy form and a deploy that stays busy, the dashboard started as the CLI starts it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable

from textual.widgets import DataTable


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Until `condition()` holds; `timeout` is a limit for the stuck (a busy machine only waits
    longer), never a pace."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def said(app) -> list:
    """Every notification `app` raised, expired toasts too (kept by conftest's
    `every_notification`), oldest first."""
    return list(app._notifications.__dict__.get("said", []))


def table(app, selector: str = "#apps-table") -> DataTable:
    return app.screen.query_one(selector, DataTable)


def cell(app, row_key: str, column: str, selector: str = "#apps-table") -> str:
    value = table(app, selector).get_cell(row_key, column)
    return getattr(value, "plain", str(value))


def row_keys(app, selector: str = "#apps-table") -> list[str]:
    t = table(app, selector)
    return [str(t.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(t.row_count)]


async def on_screen(pilot, screen_type, timeout: float = 30.0):
    """Wait until the app shows a mounted screen of `screen_type`; returns it."""
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, screen_type) and app.screen.is_mounted, timeout
    )
    await pilot.pause()
    return app.screen


async def open_form(pilot, entry_name: str, *, typed: bool = False):
    """From the catalog: `/`, the name (typed key by key, or set at once), Enter, `d`; returns the
    deploy form once it has a plan and no hostname error."""
    from proximity_tui.screens.catalog import CatalogScreen
    from proximity_tui.screens.deploy_form import DeployFormScreen
    from proximity_tui.widgets.filter_input import FilterInput

    screen = await on_screen(pilot, CatalogScreen)
    if typed:
        await pilot.press("slash", *entry_name.lower(), "enter")
    else:
        await pilot.press("slash")
        screen.query_one(FilterInput).value = entry_name.lower()
        await pilot.press("enter")
    assert screen.selected_entry().name == entry_name
    await pilot.press("d")
    form = await on_screen(pilot, DeployFormScreen)
    await wait_for(pilot, lambda: form.plan is not None and form.hostname_error is None)
    return form


async def held_deploy(pilot, world):
    """Deploy whoami as host 0 from the form, its Docker install held at a gate (the deploy stays
    busy until the test opens it); returns the progress screen and the gate."""
    from textual.widgets import Input

    from proximity_tui.screens.deploy_progress import DeployProgressScreen

    form = await open_form(pilot, "whoami")
    form.query_one("#hostname", Input).value = world.host(0)
    await wait_for(pilot, lambda: form.plan and form.plan.hostname == world.host(0))
    gate = world.sim.faults.hold(command=r"apk add")
    await pilot.press("enter")
    return await on_screen(pilot, DeployProgressScreen), gate


async def through_progress(pilot, status: str = "succeeded"):
    """An action that opens its progress screen (update, clone, backup, restore of one app): wait
    for it to end with `status`, then Escape back to where the action started; returns it."""
    from proximity_tui.screens.deploy_progress import DeployProgressScreen

    progress = await on_screen(pilot, DeployProgressScreen)
    await wait_for(pilot, lambda: progress.status != "running")
    assert progress.status == status, progress.error
    await pilot.press("escape")
    await wait_for(pilot, lambda: pilot.app.screen is not progress)
    return progress


async def detail_logs(pilot, world, monkeypatch, app_logs):
    """App detail's Logs tab of app 0, its lines from `app_logs` (in place of the service's)."""
    from proximity_tui.screens.app_detail import AppDetailScreen
    from proximity_tui.screens.apps import AppsScreen

    await on_screen(pilot, AppsScreen)
    monkeypatch.setattr(pilot.app.services.apps, "app_logs", app_logs)
    pilot.app.open_app(world.app_id(0), tab="logs")
    return await on_screen(pilot, AppDetailScreen)


@contextlib.asynccontextmanager
async def dashboard(world, *gates: threading.Event, held: threading.Event | None = None, **run):
    """The dashboard as the CLI starts it (the Apps table painted from the database, then the
    services built in a thread: at `held` while it is not set); yields the pilot. Every gate is
    opened at the end, whatever happened."""
    from proximity_tui.app import make_app

    settings = world.settings()
    built: list = []

    def factory():
        from proximity_tui.services.bootstrap import build_services

        if held is not None:
            assert held.wait(30)
        services = build_services(settings)
        services.call(services.connect(monitor=False))
        built.append(services)
        return services

    app = make_app(None, settings, services_factory=factory, preload_db=settings.db_path)
    try:
        async with app.run_test(size=(120, 40), **run) as pilot:
            yield pilot
    finally:
        for gate in (*gates, held):
            if gate is not None:
                gate.set()
        for services in built:
            services.close(wait=10)
