"""The product with a privilege-separated token holding setup's grants, on a host that filters
what such a token sees (the `privsep-token` profile): a figure Proxmox leaves out is unknown,
never 0, and an app whose CT the token may not see is not called missing."""

from __future__ import annotations

import pytest

from proximity_tui.config import load_settings, write_config
from proximity_tui.services.bootstrap import build_services
from proximity_tui.services.setup import SetupNames, run_setup, write_setup_config
from pvesim.testing import simulator_fixture

sim = simulator_fixture(nodes=2, time_scale=0.0, seed=11, profiles=["privsep-token"])


@pytest.fixture
async def setup_config(sim, tmp_path):
    """A config holding the token `proximity-tui setup` made (run as root@pam)."""
    config = tmp_path / "config.toml"
    write_config(config, sim.client_settings(auth="password"))
    n = len(list(tmp_path.parent.iterdir()))  # names unique within the module's simulator
    names = SetupNames(user=f"ps{n}@pve", role=f"Ps{n}", pool=f"ps{n}", token="tk")
    plan, result = await run_setup(_settings(config, tmp_path), names)
    write_setup_config(config, plan, result)
    return config, names


def _settings(path, tmp_path):
    return load_settings(
        path,
        db_path=tmp_path / "db.sqlite",
        env={},
        overrides={"deploy.health_timeout": 5.0, "deploy.task_timeout": 30.0},
    )


def _grant(sim, path: str, authid: str, role: str) -> None:
    """What `pveum acl modify PATH --tokens AUTHID --roles ROLE` does (the admin's hand)."""

    def work():
        sim.state.access.acl.setdefault(path, {})[("token", authid)] = {role: 0}

    sim.call(work)


def _drop_privilege(sim, role: str, priv: str) -> None:
    def work():
        roles = sim.state.access.roles
        roles[role] = frozenset(roles[role] - {priv})

    sim.call(work)


async def test_withheld_node_figures_are_unknown_and_deploys_go_on(sim, tmp_path, setup_config):
    config, names = setup_config
    _drop_privilege(sim, names.role, "Sys.Audit")  # /nodes now leaves out mem/maxmem/cpu
    services = build_services(_settings(config, tmp_path))
    try:
        await services.run(services.connect(monitor=False))
        nodes = await services.run(services.client.nodes_with_capacity())
        assert nodes and all(n.free_mem is None for n in nodes)  # unknown, not 0
        choices = await services.run(services.apps.nodes())
        assert all(c.free_memory_mb is None for c in choices if c.online)
        plan = await services.run(services.apps.plan_deploy("whoami", "ps-plan"))
        assert not [p for p in plan.problems if "MB free" in p], plan.problems
        app = await services.run(services.apps.deploy_app("whoami", "ps-mem"))
        assert app.status == "running"
        ops = await services.run(services.apps.operations(app_id=app.id))
        events = (await services.run(services.apps.operation(ops[0].id))).events
        assert any("free memory on" in e.message and "unknown" in e.message for e in events)
        assert not any("0 MB free" in e.message for e in events)
    finally:
        services.close(wait=30)


async def test_hidden_ct_is_not_missing_but_a_destroyed_one_is(sim, tmp_path, setup_config):
    config, names = setup_config
    settings = _settings(config, tmp_path)
    services = build_services(settings)
    try:
        await services.run(services.connect(monitor=False))
        kept = await services.run(services.apps.deploy_app("whoami", "ps-hidden"))
        gone = await services.run(services.apps.deploy_app("whoami", "ps-gone"))
        authid = f"{settings.proxmox.user}!{settings.proxmox.token_name}"
        # The admin takes VM.Audit away on one CT: /cluster/resources drops it silently.
        _grant(sim, f"/vms/{kept.vmid}", authid, "NoAccess")
        listed = {g.vmid for g in await services.run(services.client.cluster_resources())}
        assert kept.vmid not in listed and gone.vmid in listed
        # The other CT is destroyed behind our back (as root, in the simulator).
        sim.call(lambda: sim.state.guests.pop(gone.vmid))
        monitor = services.monitor
        snapshot = await services.run(monitor.tick())
        hidden = snapshot.apps[kept.id]
        assert hidden.status == "running", hidden
        assert hidden.reason and f"hides CT {kept.vmid}" in hidden.reason
        assert snapshot.apps[gone.id].status == "missing"
        again = await services.run(monitor.tick())  # the verdict holds without asking again
        assert again.apps[kept.id].status == "running"
    finally:
        services.close(wait=30)


async def test_the_doctor_names_what_update_really_needs(sim, tmp_path, setup_config):
    """Update writes the identity block into `description` (VM.Config.Options, pve-container
    check_ct_modify_config_perm): without it the update's rewrite is refused, and the doctor
    says so under update (not only under deploy); start/stop, which do not need it, stay ok."""
    config, names = setup_config
    services = build_services(_settings(config, tmp_path))
    try:
        await services.run(services.connect(monitor=False))
        app = await services.run(services.apps.deploy_app("whoami", "ps-opts"))
        _drop_privilege(sim, names.role, "VM.Config.Options")

        def edit():  # someone edited the block away: the update puts it back, if it may
            sim.state.find_ct(app.vmid).config["description"] = "notes"

        sim.call(edit)
        await services.run(services.apps.update_app(app.id))
        ops = await services.run(services.apps.operations(app_id=app.id))
        events = (await services.run(services.apps.operation(ops[0].id))).events
        assert ops[0].kind == "update"
        assert any("could not update the CT's identity block" in e.message for e in events)
        checks = {c.name: c for c in (await services.run(services.doctor())).checks}
        update = checks["permissions: update"]
        assert update.status == "fail" and "VM.Config.Options" in update.detail
        assert "VM.Config.Options" in checks["permissions: restore"].detail
        assert checks["permissions: start/stop"].status == "ok"
    finally:
        services.close(wait=30)
