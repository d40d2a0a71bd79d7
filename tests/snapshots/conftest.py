"""Deterministic snapshots: fixed sizes, data, clock and zone; no animation, no cursor blink."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

os.environ["TZ"] = "UTC"
time.tzset()
os.environ["TEXTUAL_ANIMATIONS"] = "none"


@pytest.fixture
def build(tmp_path):
    """Build the app on stand-in services with fixed data; closes the services afterwards."""
    from proximity_tui.app import make_app
    from proximity_tui.config import Settings
    from tests.ui.standin import T0, StandinServices

    made = []

    def _build(apps: int = 8, *, can_change: bool = True):
        config = tmp_path / "config.toml"
        config.write_text("[proxmox]\n")
        settings = Settings(config_path=config, configured=True)
        services = StandinServices(settings, apps=apps, can_change=can_change)
        made.append(services)
        app = make_app(services, settings, clock=lambda: T0 + timedelta(seconds=42))
        app.animation_level = "none"
        return app, services

    yield _build
    for services in made:
        services.close()


async def settle(pilot) -> None:
    """Let workers finish and stop every cursor from blinking."""
    from textual.widgets import Input

    # Not the action flows: they wait on the dialog the snapshot is about.
    workers = [w for w in pilot.app.workers if w.group != "actions"]
    if workers:  # an empty list would mean "all of them"
        await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()
    for screen in pilot.app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False
    await pilot.pause()
