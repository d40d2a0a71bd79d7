"""Concurrent deploys: distinct vmids; the same hostname twice gives exactly one app."""

from __future__ import annotations

import asyncio

from proximity_tui.services.errors import ProximityError
from tests.integration.services.conftest import guests_named, make_services


def test_two_concurrent_deploys_get_distinct_vmids(sim, services, hostname):
    async def both():
        return await asyncio.gather(
            services.apps.deploy_app("whoami", f"{hostname}-a"),
            services.apps.deploy_app("whoami", f"{hostname}-b"),
        )

    a, b = services.call(both())
    assert a.status == b.status == "running"
    assert a.vmid != b.vmid


def test_the_same_hostname_twice_gives_exactly_one_app(sim, services, tmp_path, hostname):
    # Two processes' worth of services on one database file: the unique constraint decides.
    other = make_services(sim, tmp_path)
    try:
        first = services.runtime.submit(services.apps.deploy_app("whoami", hostname))
        second = other.runtime.submit(other.apps.deploy_app("whoami", hostname))
        outcomes = []
        for future in (first, second):
            try:
                outcomes.append(future.result(timeout=60).status)
            except ProximityError as exc:
                outcomes.append(f"error: {exc}")
    finally:
        other.close(wait=30)
    assert sorted(o == "running" for o in outcomes) == [False, True], outcomes
    assert len(guests_named(sim, hostname)) == 1
    assert len(services.call(services.apps.list_apps())) == 1
