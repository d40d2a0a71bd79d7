"""The stale banner counts: how old the figures are and when the monitor tries again ("stale 4 s ·
retrying in 2 s", then "retrying now…"), by the App's clock, second by second."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.widgets.stale_banner import StaleBanner, seconds
from pvesim.faults import FaultRule
from tests.ui.helpers import on_screen, wait_for


def test_seconds_reads_ages_down_and_countdowns_up():
    assert seconds(4.9) == "4 s" and seconds(4.1, up=True) == "5 s"
    assert seconds(-1) == "0 s" and seconds(185) == "3 min 5 s"


async def test_the_banner_counts_down_to_the_next_try(world):
    services = world.services(1)
    monitor = services.monitor
    monitor.interval = monitor.current_interval = 3.0
    now = [datetime.now(UTC)]
    app = make_app(services, services.settings, clock=lambda: now[0])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, AppsScreen)
        services.call(monitor.tick())  # a success: the figures' time
        world.sim.faults.add(
            FaultRule(method="GET", path="/cluster/resources", http_status=500, times=None)
        )
        services.call(monitor.tick())  # fails: the next try in 6 s (the interval doubled)
        banner = screen.query_one(StaleBanner)
        await wait_for(pilot, lambda: banner.has_class("-shown") and banner.countdown())
        assert app.snapshot is not None and app.snapshot.retry_in == 6.0
        assert re.fullmatch(r"stale \d+ s · retrying in 6 s", banner.countdown())
        now[0] += timedelta(seconds=4)  # the banner's own timer shows it within a second
        await wait_for(pilot, lambda: "retrying in 2 s)" in str(banner.render()))
        age = int(re.search(r"stale (\d+) s", banner.countdown()).group(1))
        assert age >= 4
        now[0] += timedelta(seconds=3)
        await wait_for(pilot, lambda: "retrying now…" in str(banner.render()))
        world.sim.faults.clear()
        services.call(monitor.tick())
        await wait_for(pilot, lambda: not banner.has_class("-shown"))
