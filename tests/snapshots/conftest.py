"""Deterministic snapshots of the dashboard on the real services and a fresh simulator.

Fixed sizes, zone (UTC) and clock; no animation, no cursor blink; fixed data: a fresh simulator
(seeded) per test, apps deployed in a fixed order, then every stored time in the database set to
fixed values (`freeze_times`). No monitor tick runs unless a test asks, so no live figure moves.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

os.environ["TZ"] = "UTC"
time.tzset()
# (animations are off for every test: tests/conftest.py)

FIXED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
#: (catalog id, hostname) deployed, in this order, before a snapshot that wants apps.
APPS = (("whoami", "web"), ("uptime-kuma", "status"), ("ntfy", "push"), ("it-tools", "tools"))


def freeze_times(services) -> None:
    """Every time the database holds set to fixed values derived from row ids."""
    from sqlalchemy import select, update

    from proximity_tui.store.models import App, Operation, OperationEvent

    with services.db.session() as s:
        s.execute(update(App).values(created_at=FIXED, updated_at=FIXED))
        for op in s.scalars(select(Operation)):
            start = FIXED + timedelta(minutes=op.id)
            events = s.scalars(
                select(OperationEvent)
                .where(OperationEvent.operation_id == op.id)
                .order_by(OperationEvent.id)
            ).all()
            for i, event in enumerate(events):
                event.ts = start + timedelta(seconds=i)
            op.started_at = start
            if op.finished_at is not None:
                op.finished_at = start + timedelta(seconds=max(len(events) - 1, 1))


@pytest.fixture
def build(tmp_path):
    """`build(apps=0, read_only=False)` -> (app, services) on a fresh simulator."""
    from proximity_tui.app import make_app
    from proximity_tui.config import load_settings, write_config
    from proximity_tui.services.bootstrap import build_services
    from pvesim.server import Simulator

    made = []

    def _build(apps: int = 0, *, read_only: bool = False, demo: bool = True, deploys: bool = False):
        # Node figures move on every simulated pvestatd tick: at time scale 1 none happens during
        # a test that deploys nothing (10 s apart), so the "fits" marks and free memory are fixed.
        scale = 0.0 if apps or deploys else 1.0
        sim = Simulator(nodes=3, time_scale=scale, seed=21)
        sim.start()
        made.append(sim)
        config = write_config(tmp_path / "config.toml", sim.client_settings(auth="token"))
        settings = load_settings(
            config,
            db_path=tmp_path / "proximity.db",
            env={},
            # The create path: a base would take a vmid and move every app's in the pictures.
            overrides={"deploy.health_timeout": 2.0, "deploy.base": False},
        )
        settings.demo = demo
        services = build_services(settings)
        made.append(services)
        services.call(services.connect(monitor=False))
        for catalog_id, hostname in APPS[:apps]:
            services.call(services.apps.deploy_app(catalog_id, hostname, node="pve1"))
        if read_only:
            services.apps.read_only = True
        freeze_times(services)
        app = make_app(services, settings, clock=lambda: FIXED + timedelta(seconds=42))
        app.animation_level = "none"
        app.sim = sim
        return app, services

    yield _build
    for thing in reversed(made):
        if hasattr(thing, "close"):
            thing.close(wait=10)
        else:
            thing.stop()


async def settle(pilot) -> None:
    """Let workers finish (but not action flows waiting on a dialog); stop cursors blinking."""
    from textual.widgets import Input

    workers = [w for w in pilot.app.workers if w.group != "actions"]
    if workers:  # an empty list would mean "all of them"
        await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()
    for screen in pilot.app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False
    await pilot.pause()
