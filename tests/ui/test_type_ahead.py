"""Keys typed while the dashboard starts (k9s users type ahead) reach its first screen, in order.

"Before the first screen" is made certain, never left to the machine's speed: the start is held
at a gate (the database read that paints the Apps table, or the services' build) while the keys
are pressed, and the test checks that the first screen is not up yet before it opens the gate.
"""

from __future__ import annotations

import threading

from textual.widgets import DataTable

from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.help import HelpScreen, screen_title
from proximity_tui.screens.starting import StartingScreen
from proximity_tui.store import quick_read
from proximity_tui.widgets.filter_input import FilterInput
from tests.ui.helpers import dashboard, on_screen, row_keys, said, wait_for


async def test_keys_typed_before_the_apps_table_go_to_it(world, monkeypatch):
    world.services(2).close(wait=10)
    read_gate = threading.Event()
    read = quick_read.read_apps

    def held_read(path):  # the preload thread: the Apps table cannot be painted before the gate
        assert read_gate.wait(30)
        return read(path)

    monkeypatch.setattr(quick_read, "read_apps", held_read)
    async with dashboard(world, read_gate) as pilot:
        app = pilot.app
        await pilot.press("slash", *world.host(1), "enter")
        assert not isinstance(app.screen, AppsScreen)  # typed ahead: nothing to type into yet
        read_gate.set()
        screen = await on_screen(pilot, AppsScreen)
        box = screen.query_one(FilterInput)
        await wait_for(pilot, lambda: box.value == world.host(1))  # every key, in order
        assert row_keys(app) == [world.app_id(1)]
        await wait_for(pilot, lambda: isinstance(app.focused, DataTable))  # Enter: back to it
        assert not any("no such key" in n.message for n in said(app))  # said on the blank one
        await wait_for(pilot, lambda: app.services is not None, timeout=15)


async def test_keys_typed_while_connecting_go_to_the_first_screen(world):
    """No database yet: `?` pressed on the starting screen opens the first screen's help (not a
    help left behind on the starting screen); ctrl+c still answers at once."""
    gate = threading.Event()
    async with dashboard(world, held=gate, notifications=True) as pilot:
        app = pilot.app
        await on_screen(pilot, StartingScreen)
        await pilot.press("question_mark", "ctrl+c")
        # ctrl+c is not held: its "how to quit" comes while the services are still held
        await wait_for(pilot, lambda: any("to quit" in n.message for n in said(app)))
        assert isinstance(app.screen, StartingScreen)
        gate.set()
        await on_screen(pilot, HelpScreen)
        assert isinstance(app.screen_stack[0], CatalogScreen)  # no apps: the catalog first
        assert app.screen.under_name == screen_title(app.screen_stack[0])
        assert not any(isinstance(s, HelpScreen) for s in app._screen_stacks["_default"])


async def test_a_mode_key_on_the_painted_table_waits_for_the_services(world):
    """The Apps table is painted from the database before the services exist: `1` then `/` and
    a name switch to the catalog once they are ready and filter it, not the apps."""
    world.services(1).close(wait=10)
    gate = threading.Event()
    async with dashboard(world, held=gate) as pilot:
        app = pilot.app
        apps = await on_screen(pilot, AppsScreen)
        await pilot.press("1", "slash", *"ntfy")
        assert app.services is None and app.screen is apps  # the services are held
        assert not apps.query_one(FilterInput).display  # `/ntfy` waits behind `1`
        gate.set()
        catalog = await on_screen(pilot, CatalogScreen)
        box = catalog.query_one(FilterInput)
        await wait_for(pilot, lambda: box.value == "ntfy")
        assert apps.query_one(FilterInput).value == ""
