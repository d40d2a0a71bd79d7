"""`/` then a filter typed in one burst (a laggy SSH link delivers them so): every key after `/`
lands in the filter box, none is dropped by the list that had focus when `/` arrived."""

from __future__ import annotations

from textual import events

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.operations import OperationsScreen
from proximity_tui.widgets.filter_input import FilterInput
from tests.ui.helpers import on_screen, row_keys, wait_for


def burst(app, text: str) -> None:
    for char in text:
        key = "slash" if char == "/" else char
        app.post_message(events.Key(key, char))  # no wait in between: one burst


async def test_apps_filter_typed_in_one_burst_after_the_slash(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: len(row_keys(app)) == 2)
        wanted = world.host(1)
        burst(app, "/" + wanted)
        box = screen.query_one(FilterInput)
        await wait_for(pilot, lambda: box.value == wanted)
        await wait_for(pilot, lambda: row_keys(app) == [world.app_id(1)])
        # in the box, `/` is a character (a URL, a path), not the filter key again
        burst(app, "/x")
        await wait_for(pilot, lambda: box.value == wanted + "/x")
        assert box.has_focus


async def test_operations_filter_typed_in_one_burst_after_the_slash(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await pilot.press("3")
        screen = await on_screen(pilot, OperationsScreen)
        burst(app, "/deploy")
        box = screen.query_one(FilterInput)
        await wait_for(pilot, lambda: box.value == "deploy")
        assert box.has_focus
