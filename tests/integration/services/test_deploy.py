"""Scenario 1 (a fresh deploy) and scenario 3 (a failed deploy at every step) of the original
project's verification report, against the simulator over HTTPS and SSH."""

from __future__ import annotations

import dataclasses

import pytest

from proximity_tui.errors import ProximityError, ValidationError
from proximity_tui.services.events import STEP_STARTED
from proximity_tui.services.operations.deploy import deploy_steps
from proximity_tui.store import repositories as repo
from pvesim.faults import FaultRule
from tests.integration.services.conftest import guests_named, inside

STEPS = [name for name, _ in deploy_steps()]


def test_fresh_deploy_records_every_field_and_the_app_answers(sim, services, hostname):
    app = services.call(services.apps.deploy_app("uptime-kuma", hostname))

    assert app.status == "running"
    assert app.id == f"uptime-kuma-{hostname}"
    with services.db.session(readonly=True) as s:
        row = repo.get_app(s, app.id)
        assert row is not None
        assert (row.catalog_id, row.name, row.hostname) == ("uptime-kuma", "Uptime Kuma", hostname)
        assert row.status == "running" and row.node in sim.info.nodes
        assert row.lxc_id == app.vmid and row.owner is not None
        assert row.url and row.url.startswith("http://") and ":3001" in row.url
        assert row.created_at is not None and row.updated_at is not None
        assert row.ports == {"3001": 3001} and row.config["memory"] == 512
    # The container is tagged, described, and the app answers from inside it.
    guest = guests_named(sim, hostname)
    assert len(guest) == 1 and "proximity" in guest[0].config.get("tags", "")
    assert f"app-id: {app.id}" in guest[0].config.get("description", "")
    ct = inside(sim, app.vmid)
    assert ct.exists(f"/opt/proximity/{hostname}/compose.yaml")
    env_file = ct.read_file(f"/opt/proximity/{hostname}/.env")
    assert env_file is not None
    answer = services.call(
        services.exec.run(app.node, app.vmid, ["wget", "-qO-", "http://127.0.0.1:3001/"])
    )
    assert answer.exit_status == 0 and answer.stdout
    op = services.call(services.apps.operations(app_id=app.id))[0]
    assert op.kind == "deploy" and op.status == "succeeded" and op.user


def test_bad_input_is_refused_before_anything_is_recorded(services):
    with pytest.raises(ValidationError, match="hostname"):
        services.call(services.apps.deploy_app("uptime-kuma", "-bad-"))
    with pytest.raises(ProximityError, match="not found"):
        services.call(services.apps.deploy_app("no-such-app", "fine"))
    with pytest.raises(ValidationError, match="memory"):
        services.call(services.apps.deploy_app("uptime-kuma", "fine", memory=16))
    assert services.call(services.apps.operations()) == []
    assert services.call(services.apps.list_apps()) == []


# One fault per step, armed when that step starts, so it hits that step and no earlier one.
FAULTS = {
    "validate": FaultRule(
        method="GET",
        path="/cluster/resources",
        http_status=500,
        message="cluster resources unavailable",
        times=None,
    ),
    "place": FaultRule(
        method="GET", path="/nodes", http_status=500, message="pveproxy busy", times=None
    ),
    "reserve": FaultRule(
        method="GET", path="/cluster/nextid", http_status=500, message="nextid broke", times=None
    ),
    "template": FaultRule(task="download", task_error="download failed: 404 Not Found"),
    # A deploy creates the CT, or clones the node's Docker-ready base when it has one.
    "create": (
        FaultRule(task="vzcreate", task_error="unable to create CT - disk full"),
        FaultRule(task="vzclone", task_error="clone failed: disk full"),
    ),
    "start": FaultRule(task="vzstart", task_error="startup for container failed"),
    "network": FaultRule(
        method="GET",
        path="/nodes/*/lxc/*/interfaces",
        http_status=500,
        message="interfaces broke",
        times=None,
    ),
    # Installed, or (in a clone of the base) only waited for.
    "docker": (
        FaultRule(
            command=r"apk add",
            exit_status=1,
            stderr="ERROR: unable to select packages: docker (no such package)",
        ),
        FaultRule(
            command=r"docker info", exit_status=1, stderr="Cannot connect to the Docker daemon"
        ),
    ),
    "compose": FaultRule(
        command=r"compose .* pull",
        exit_status=18,
        stderr="Error response from daemon: manifest unknown",
    ),
    "health": FaultRule(
        command=r"wget",
        exit_status=1,
        stderr="wget: server returned error: HTTP/1.1 502 Bad Gateway",
        times=None,
    ),
    # Three answers: the client's first try and its two retries; the undo then gets through.
    "record": FaultRule(
        method="GET",
        path="/nodes/*/lxc/*/status/current",
        http_status=500,
        message="status unavailable",
        times=3,
    ),
}


@pytest.mark.parametrize("step", STEPS)
def test_failed_deploy_at_every_step_leaves_nothing_behind(sim, services, faults, hostname, step):
    rules = FAULTS[step]
    node = "pve2" if step == "template" else None  # the template is cached on pve1 only

    def arm(event):
        if event.kind == STEP_STARTED and event.step == step:
            for rule in rules if isinstance(rules, tuple) else (rules,):
                faults.add(dataclasses.replace(rule))  # a fresh copy: the fault set counts on it

    services.apps.events.subscribe(arm)
    with pytest.raises(ProximityError) as err:
        services.call(services.apps.deploy_app("uptime-kuma", hostname, node=node))
    faults.clear()

    assert f"{step} failed" in str(err.value)
    assert guests_named(sim, hostname) == []
    assert services.call(services.apps.list_apps()) == []
    op = services.call(services.apps.operations())[0]
    assert op.kind == "deploy" and op.status == "failed" and op.step == step
    assert op.error and f"{step} failed" in op.error
    assert op.result["failed_step"] == step


def test_cancelled_deploy_rolls_back_with_the_reason(sim, services, faults, hostname):
    ops = []

    def cancel_at_docker(event):
        if event.kind == STEP_STARTED and event.step == "docker":
            ops.append(event.op_id)
            services.apps.cancel_operation(event.op_id)

    services.apps.events.subscribe(cancel_at_docker)
    with pytest.raises(ProximityError, match="cancelled"):
        services.call(services.apps.deploy_app("whoami", hostname))
    assert guests_named(sim, hostname) == []
    op = services.call(services.apps.operation(ops[0]))
    # Every undo ran: the journal says rolled back (not failed), and why.
    assert op.status == "rolled_back" and "cancelled" in (op.error or "")
