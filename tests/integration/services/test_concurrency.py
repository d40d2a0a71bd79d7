"""Concurrent deploys: distinct vmids; the same hostname twice gives exactly one app."""

from __future__ import annotations

import asyncio

from proximity_tui.errors import ProximityError
from proximity_tui.services.operations import vmids
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


def test_a_vmid_taken_behind_our_back_moves_the_reservation(sim, services, hostname, monkeypatch):
    """Another Proximity with its own database (or the web UI) creates the vmid we reserved
    before our create call: ours moves to a free vmid, theirs is left alone. (The reservation is
    wrapped only to create the foreign CT at that exact moment; everything else is real.)"""
    client = services.client
    reserve = vmids.reserve_row
    stolen = []

    async def reserve_then_someone_takes_it(client_, records, ctx, make_row, make_state):
        vmid = await reserve(client_, records, ctx, make_row, make_state)
        upid = await client.create_ct(
            "pve1",
            vmid=vmid,
            hostname=f"{hostname}-foreign",
            ostemplate="local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz",
            rootfs="local-lvm:1",
        )
        await client.wait_task(upid)
        stolen.append(vmid)
        return vmid

    monkeypatch.setattr(vmids, "reserve_row", reserve_then_someone_takes_it)
    app = services.call(services.apps.deploy_app("whoami", hostname))
    assert app.status == "running" and app.vmid != stolen[0]
    foreign = guests_named(sim, f"{hostname}-foreign")
    assert [g.vmid for g in foreign] == [stolen[0]]  # theirs, untouched


def test_a_hostname_an_app_has_is_bad_input_and_nothing_is_recorded(sim, services, hostname):
    """The check runs where the operation's row would be written, just before it (one thread
    hop for both): a taken hostname is refused as bad input, with no journal row and no lock
    left behind."""
    import pytest

    from proximity_tui.errors import ValidationError

    services.call(services.apps.deploy_app("whoami", hostname))
    before = services.journal.list(limit=None)
    with pytest.raises(ValidationError, match="already used by another app") as caught:
        services.call(services.apps.deploy_app("whoami", hostname))
    assert caught.value.field == "hostname"
    assert services.journal.list(limit=None) == before
    assert services.apps._locks == {}
    assert len(services.call(services.apps.list_apps())) == 1
