"""Pilot tests of the dashboard on the real services and the in-process simulator.

One simulator per module (time scale 0); every test has its own database and config in tmp_path
and its own hostnames (the simulated cluster is shared within a module). The status monitor's
loop is not started: tests call `tick()` so that every snapshot is one the test asked for.
"""

from __future__ import annotations

import itertools

import pytest

from proximity_tui.config import write_config
from pvesim.testing import reset, simulator_fixture

_tests = itertools.count(1)


sim = simulator_fixture(nodes=3, time_scale=0.0, seed=11)


class World:
    """Services for one test, plus a unique hostname prefix and helpers."""

    def __init__(self, sim, tmp_path) -> None:
        self.sim = sim
        self.tmp_path = tmp_path
        self.prefix = f"t{next(_tests)}"
        self.config = write_config(tmp_path / "config.toml", sim.client_settings(auth="token"))
        self.made = []

    def settings(self, *, read_only: bool = False, demo: bool = False):
        from proximity_tui.config import load_settings

        settings = load_settings(
            self.config,
            db_path=self.tmp_path / "proximity.db",
            env={},
            overrides={
                "ui.read_only": read_only or None,
                "deploy.health_timeout": 2.0,
                # A limit for the stuck only: tests hold steps at gates while they walk the
                # screens, which on a loaded machine can take longer than 30 s.
                "deploy.task_timeout": 600.0,
                # The screens' flows hold or fail a deploy at its Docker install (`apk add`):
                # the create path. The base path has its own tests (test_prepare_palette.py,
                # tests/integration/services/test_docker_base.py).
                "deploy.base": False,
                # The module's simulator keeps earlier tests' CTs, unknown to this test's
                # database: the start-up offer (a modal) is tested in test_adopt.py only.
                "ui.offer_adoption": False,
            },
        )
        settings.demo = demo
        return settings

    def services(self, apps: int = 0, *, read_only: bool = False, demo: bool = False):
        """Connected services with `apps` whoami apps deployed (`<prefix>w0`, `<prefix>w1`...)."""
        from proximity_tui.services.bootstrap import build_services

        if apps and read_only:  # deploy first, then reopen the same database read-only
            self.services(apps).close(wait=10)
            apps = 0
        services = build_services(self.settings(read_only=read_only, demo=demo))
        self.made.append(services)
        services.call(services.connect(monitor=False))
        for i in range(apps):
            services.call(services.apps.deploy_app("whoami", self.host(i)))
        return services

    def host(self, i: int) -> str:
        return f"{self.prefix}w{i}"

    def app_id(self, i: int) -> str:
        return f"whoami-{self.host(i)}"

    def close(self) -> None:
        for services in self.made:
            services.close(wait=10)


@pytest.fixture(autouse=True)
def quick_form(monkeypatch):
    """The deploy form waits for a pause in typing before asking the services: not in tests."""
    from proximity_tui.screens.deploy_form import DeployFormScreen

    monkeypatch.setattr(DeployFormScreen, "debounce", 0.01)


@pytest.fixture(autouse=True)
def every_notification(monkeypatch):
    """A toast leaves `app._notifications` when it expires (seconds); on a loaded machine a test
    may look later than that. Every notification the app raised is kept for `said(app)`."""
    from textual.notifications import Notifications

    add = Notifications.add

    def recording_add(self, notification):
        self.__dict__.setdefault("said", []).append(notification)
        return add(self, notification)

    monkeypatch.setattr(Notifications, "add", recording_add)


@pytest.fixture
def world(sim, tmp_path):
    w = World(sim, tmp_path)
    yield w
    reset(sim)
    w.close()
