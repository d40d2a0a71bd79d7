"""Small helpers for Pilot tests: waiting for a condition, reading table cells."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.widgets import DataTable


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def table(app, selector: str = "#apps-table") -> DataTable:
    return app.screen.query_one(selector, DataTable)


def cell(app, row_key: str, column: str, selector: str = "#apps-table") -> str:
    value = table(app, selector).get_cell(row_key, column)
    return getattr(value, "plain", str(value))


def row_keys(app, selector: str = "#apps-table") -> list[str]:
    t = table(app, selector)
    return [str(t.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(t.row_count)]


async def on_screen(pilot, screen_type, timeout: float = 5.0):
    """Wait until the app shows a mounted screen of `screen_type`; returns it."""
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, screen_type) and app.screen.is_mounted, timeout
    )
    await pilot.pause()
    return app.screen
