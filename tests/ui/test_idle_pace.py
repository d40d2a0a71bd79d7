"""The monitor relaxes while nobody can watch the live figures: the terminal lost focus, or no
screen showing them is up; it ticks at once when they can be watched again (issue 19)."""

from __future__ import annotations

from textual import events

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.services.status import RELAXED_INTERVAL
from tests.ui.helpers import on_screen, wait_for


def test_a_relaxed_monitor_waits_a_pvestatd_round_and_a_failing_one_longer(world):
    monitor = world.services(0).monitor
    monitor.interval = monitor.current_interval = 3.0
    assert monitor.pause() == 3.0
    monitor.relax(True)
    assert monitor.pause() == RELAXED_INTERVAL == 10.0
    monitor.current_interval = 15.0  # Proxmox failing: its own, longer wait wins
    assert monitor.pause() == 15.0
    monitor.relax(False)
    monitor.current_interval = 3.0
    assert monitor.pause() == 3.0


async def test_blur_relaxes_the_monitor_and_focus_brings_a_tick_at_once(world):
    services = world.services(1)
    monitor = services.monitor
    # No tick of its own after the first, relaxed or not: every later tick was asked for.
    monitor.interval = monitor.current_interval = 3600.0

    async def start() -> None:
        monitor.start()

    services.call(start())
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: app._loaded and monitor.ticks >= 1)
        assert not monitor.relaxed
        before = monitor.ticks
        app.post_message(events.AppBlur())
        await wait_for(pilot, lambda: monitor.relaxed)
        assert monitor.ticks == before  # relaxing asks for nothing
        app.post_message(events.AppFocus())
        await wait_for(pilot, lambda: not monitor.relaxed and monitor.ticks > before)

        # Another mode (the catalog shows no live figures): relaxed; back: a tick at once.
        await pilot.press("1")
        await on_screen(pilot, CatalogScreen)
        await wait_for(pilot, lambda: monitor.relaxed)
        before = monitor.ticks
        await pilot.press("2")
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: not monitor.relaxed and monitor.ticks > before)

        # An app's detail shows live figures too: not relaxed there, relaxed when blurred.
        await pilot.press("enter")
        await on_screen(pilot, AppDetailScreen)
        assert not monitor.relaxed
        app.post_message(events.AppBlur())
        await wait_for(pilot, lambda: monitor.relaxed)
        await pilot.press("escape")  # a key: Textual counts the terminal focused again
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: not monitor.relaxed)
