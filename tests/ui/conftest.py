"""Pilot tests of the dashboard.

NOTE: until the service layer lands these run against `standin.py` (a throwaway in-memory
implementation of the interface the dashboard calls); they move to the real services and the
in-process simulator at time scale 0 as soon as `services/bootstrap.py` exists.
"""

from __future__ import annotations

import os

import pytest

from proximity_tui.config import Settings

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def settings(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[proxmox]\nhost = "127.0.0.1"\n')
    return Settings(config_path=config, db_path=tmp_path / "p.db", configured=True)


@pytest.fixture
def make_services(settings):
    from tests.ui.standin import StandinServices

    made = []

    def make(apps: int = 0, *, can_change: bool = True):
        services = StandinServices(settings, apps=apps, can_change=can_change)
        made.append(services)
        return services

    yield make
    for services in made:
        services.close()
