"""Recovery at start: an operation left `running` by a dead process is resolved before anything
else; the half-made container is destroyed, the half-written row removed, the user told."""

from __future__ import annotations

import subprocess
import sys

from proximity_tui.services.containers import TAG
from proximity_tui.services.identity import Identity, description_for
from proximity_tui.services.journal import Journal
from proximity_tui.store import repositories as repo
from tests.integration.services.conftest import guests_named


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_an_interrupted_deploy_is_rolled_back(sim, services, hostname):
    client = services.client
    app_id = f"whoami-{hostname}"
    vmid = services.call(client.next_vmid())
    # What a deploy had done when its process died: the row, the CT created, Docker not yet.
    with services.db.session() as s:
        repo.add_app(
            s,
            id=app_id,
            catalog_id="whoami",
            name="whoami",
            hostname=hostname,
            status="deploying",
            lxc_id=vmid,
            node="pve1",
        )
    upid = services.call(
        client.create_ct(
            "pve1",
            vmid=vmid,
            hostname=hostname,
            ostemplate="local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz",
            rootfs="local-lvm:4",
            tags=TAG,
            description=description_for(Identity(app_id, "whoami", hostname)),
            net0="name=eth0,bridge=vmbr0,ip=dhcp",
        )
    )
    services.call(client.wait_task(upid))
    ghost = Journal(services.db, pid=dead_pid())
    op_id = ghost.start("deploy", app_id=app_id, hostname=hostname, step="docker")
    ghost.save_state(
        op_id, {"vmid": vmid, "node": "pve1", "reserved": True, "create_requested": True}
    )

    notes = services.call(services.apps.recover())

    assert len(notes) == 1 and "interrupted" in notes[0] and f"CT {vmid}" in notes[0]
    assert guests_named(sim, hostname) == []
    assert services.call(services.apps.list_apps()) == []
    op = services.call(services.apps.operation(op_id))
    assert op.status == "interrupted" and "docker" in (op.error or "")
    assert any(f"destroyed CT {vmid}" in u for u in op.result["undone"])
    # A second recovery finds nothing left to do.
    assert services.call(services.apps.recover()) == []


def test_a_recorded_deploy_is_kept_and_a_live_owner_is_left_alone(sim, services, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    ghost = Journal(services.db, pid=dead_pid())
    op_id = ghost.start("deploy", app_id=app.id, hostname=hostname, step="record")
    ghost.save_state(op_id, {"vmid": app.vmid, "node": app.node, "recorded": True})
    alive = Journal(services.db)  # this very process: alive, not ours to resolve
    live_op = alive.start("start", app_id=app.id, hostname=hostname)

    notes = services.call(services.apps.recover())

    assert len(notes) == 1 and "kept" in notes[0]
    assert services.call(services.apps.get_app(app.id)).status == "running"
    assert len(guests_named(sim, hostname)) == 1
    assert services.call(services.apps.operation(live_op)).status == "running"


def test_a_deploy_that_died_before_tagging_its_ct_is_rolled_back(sim, services, hostname):
    """With a pool and a token the CT is created untagged and tagged by the `pct set` after
    (pve-guest-common GuestHelpers.pm assert_tag_permissions checks tags on /vms/<vmid>, before
    the CT joins the pool, so the token's pool grant does not cover them). A process dying in
    between leaves an untagged CT: recovery still knows it as ours (its reserved vmid, its
    hostname and the identity in its description) and destroys it."""
    client = services.client
    app_id = f"whoami-{hostname}"
    vmid = services.call(client.next_vmid())
    with services.db.session() as s:
        repo.add_app(
            s,
            id=app_id,
            catalog_id="whoami",
            name="whoami",
            hostname=hostname,
            status="deploying",
            lxc_id=vmid,
            node="pve1",
        )
    upid = services.call(
        client.create_ct(
            "pve1",
            vmid=vmid,
            hostname=hostname,
            ostemplate="local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz",
            rootfs="local-lvm:4",
            description=description_for(Identity(app_id, "whoami", hostname)),
            net0="name=eth0,bridge=vmbr0,ip=dhcp",
        )
    )
    services.call(client.wait_task(upid))
    assert services.call(services.apps.containers.tagged("pve1", vmid)) is False
    ghost = Journal(services.db, pid=dead_pid())
    op_id = ghost.start("deploy", app_id=app_id, hostname=hostname, step="create")
    ghost.save_state(
        op_id,
        {
            "vmid": vmid,
            "node": "pve1",
            "reserved": True,
            "create_requested": True,
            "tag_by_pct": True,
        },
    )

    notes = services.call(services.apps.recover())

    assert len(notes) == 1 and f"CT {vmid}" in notes[0]
    assert guests_named(sim, hostname) == []
    assert services.call(services.apps.list_apps()) == []
    op = services.call(services.apps.operation(op_id))
    assert op.status == "interrupted"
    assert any(f"destroyed CT {vmid}" in u for u in op.result["undone"])
