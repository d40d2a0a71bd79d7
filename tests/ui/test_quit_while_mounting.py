"""Quitting while a screen is still being built ends cleanly (two full runs under load saw the
list screen's on_mount look up a widget that the shutdown had already pruned, and the session
end with a NoMatches traceback)."""

from __future__ import annotations

import asyncio

from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label

from proximity_tui.app import make_app
from tests.ui.helpers import wait_for


class Slow(Screen):
    """Still in its on_mount when the app starts shutting down; then it looks up a widget that
    is not there any more (what a pruned screen's on_mount met in the full runs)."""

    def __init__(self) -> None:
        super().__init__()
        self.started = False

    def compose(self):
        with Vertical():
            yield Label("x", id="inner")

    async def on_mount(self) -> None:
        self.started = True
        while self.app._running:
            await asyncio.sleep(0.01)
        self.query_one("#pruned-meanwhile", Label)


async def test_quitting_while_a_screen_mounts_is_not_a_crash(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        slow = Slow()
        app.push_screen(slow)
        while not slow.started:  # not pilot.pause: it waits for the (busy) screen's messages
            await asyncio.sleep(0.01)
        app.exit()
    assert app.return_code in (0, None)
    assert app._exception is None


async def test_the_same_error_while_running_still_ends_the_app(world):
    from textual.css.query import NoMatches

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        app.call_later(app.screen.query_one, "#no-such-widget")
        await wait_for(pilot, lambda: app._exception is not None)
        assert isinstance(app._exception, NoMatches)
        app._exception = None  # seen: run_test would re-raise it
