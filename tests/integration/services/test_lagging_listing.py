"""A real node's `/cluster/resources` shows what pvestatd gathered last, up to ~10 s old. After an
operation, the app must show what the operation left (read from `status/current`), not the
listing's older state, until the listing catches up."""

from __future__ import annotations

import pytest

from pvesim.stats import refresh_statd
from pvesim.testing import running
from tests.integration.services.test_after_actions import live, monitored  # noqa: F401


@pytest.fixture(scope="module")
def sim():
    # Tasks near-instant, and pvestatd frozen: a round of the listing comes only when the test
    # asks (`statd_round`), so "the listing lags" holds however slow the machine is.
    with running(nodes=3, time_scale=0.001, seed=11) as simulator:
        simulator.set_statd_interval(1e12)
        yield simulator


def statd_round(sim) -> None:
    sim.call(lambda: refresh_statd(sim.state))


def listed_status(services, vmid):
    guests = services.call(services.client.cluster_resources("vm"))
    return next(g.status for g in guests if g.vmid == vmid)


def test_the_listing_lagging_behind_does_not_undo_what_a_stop_left(sim, monitored, hostname):  # noqa: F811
    svc = monitored
    app = svc.call(svc.apps.deploy_app("whoami", hostname))
    statd_round(sim)
    assert live(svc, app.id) == ("running", "running")
    svc.call(svc.apps.stop_app(app.id))
    assert listed_status(svc, app.vmid) == "running"  # the listing lags: the test means something
    assert live(svc, app.id) == ("stopped", "stopped")
    svc.call(svc.monitor.tick())  # a later tick, pvestatd still behind
    assert live(svc, app.id) == ("stopped", "stopped")
    svc.call(svc.apps.start_app(app.id))
    assert live(svc, app.id) == ("running", "running")
