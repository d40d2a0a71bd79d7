"""The least-privilege path end to end, over the real wire: setup as root@pam (password) on a
host whose default token is privilege-separated and holds nothing, then the doctor gives a clean
bill with setup's token, and a deploy, clone and delete work with it (CTs go into the pool)."""

from __future__ import annotations

import stat
import tomllib

import pytest

from proximity_tui.config import load_settings, write_config
from proximity_tui.errors import ValidationError
from proximity_tui.services.bootstrap import build_services
from proximity_tui.services.doctor import check_settings
from proximity_tui.services.setup import SetupNames, run_setup, write_setup_config
from proximity_tui.services.setup.plan import SetupConflict
from pvesim.testing import simulator_fixture

sim = simulator_fixture(nodes=2, time_scale=0.0, seed=5, profiles=["privsep-token"])


def _settings(path, tmp_path):
    return load_settings(
        path,
        db_path=tmp_path / "db.sqlite",
        env={},
        overrides={"deploy.health_timeout": 5.0, "deploy.task_timeout": 30.0},
    )


async def test_setup_then_doctor_then_lifecycle(sim, tmp_path):
    config = tmp_path / "config.toml"
    write_config(config, sim.client_settings(auth="password"))
    root = _settings(config, tmp_path)
    lines: list[str] = []
    plan, result = await run_setup(root, SetupNames(), lines.append)
    assert lines[0].startswith("created role Proximity: VM.Allocate")
    assert any("granted role Proximity on /pool/proximity" in ln for ln in lines)
    assert not any(result.token_value in ln for ln in lines)  # the secret is never printed
    write_setup_config(config, plan, result)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    saved = tomllib.loads(config.read_text())
    assert saved["proxmox"]["user"] == "proximity@pve" and "password" not in saved["proxmox"]
    assert saved["deploy"]["pool"] == "proximity"

    settings = _settings(config, tmp_path)
    report = await check_settings(settings)
    assert report.ok, [c for c in report.checks if c.status != "ok"]
    assert all(c.status == "ok" for c in report.checks if c.name.startswith("permissions"))

    services = build_services(settings)
    try:
        await services.run(services.connect(monitor=False))
        app = await services.run(services.apps.deploy_app("whoami", "lp-app"))
        copy = await services.run(services.apps.clone_app(app.id, "lp-copy"))
        for vmid in (app.vmid, copy.vmid):
            guest = await services.run(services.client.find_ct(vmid))
            assert guest is not None and "proximity" in guest.tags
        await services.run(services.apps.update_app(app.id))
        await services.run(services.apps.delete_app(copy.id))
        assert await services.run(services.client.find_ct(copy.vmid)) is None
    finally:
        services.close(wait=30)


async def test_deployed_and_cloned_cts_go_into_the_pool(sim, tmp_path):
    config = tmp_path / "config.toml"
    write_config(config, sim.client_settings(auth="password"))
    names = SetupNames(user="pooled@pve", role="Pooled", pool="pooled", token="tk")
    plan, result = await run_setup(_settings(config, tmp_path), names)
    write_setup_config(config, plan, result)
    services = build_services(_settings(config, tmp_path))
    try:
        await services.run(services.connect(monitor=False))
        app = await services.run(services.apps.deploy_app("whoami", "pool-app"))
        copy = await services.run(services.apps.clone_app(app.id, "pool-copy"))
        pool = await services.run(services.client.request("GET", "pools", "pooled"))
        members = {int(m["vmid"]) for m in pool.get("members", []) if "vmid" in m}
        assert {app.vmid, copy.vmid} <= members
    finally:
        services.close(wait=30)


async def test_setup_refuses_existing_names_and_changes_nothing(sim, tmp_path):
    config = tmp_path / "config.toml"
    write_config(config, sim.client_settings(auth="password"))
    root = _settings(config, tmp_path)
    await run_setup(root, SetupNames(user="twice@pve", role="Twice", pool="twice", token="tk"))
    users_before = await _ids(root, "access", "users")
    with pytest.raises(SetupConflict, match="pool twice already exists"):
        await run_setup(root, SetupNames(user="other@pve", role="Other", pool="twice", token="tk"))
    assert await _ids(root, "access", "users") == users_before  # other@pve was not made
    assert "Other" not in await _ids(root, "access", "roles")


async def test_setup_as_a_token_of_another_user_is_refused(sim, tmp_path):
    config = tmp_path / "config.toml"
    data = sim.client_settings(auth="token")
    data["proxmox"]["user"] = "bob@pve"
    write_config(config, data)
    with pytest.raises(ValidationError, match="setup must run as root@pam"):
        await run_setup(_settings(config, tmp_path), SetupNames())


async def _ids(settings, *path):
    from proximity_tui.proxmox.client import ProxmoxClient

    client = ProxmoxClient.from_settings(settings.proxmox)
    try:
        rows = await client.request("GET", *path)
    finally:
        client.close()
    key = {"users": "userid", "roles": "roleid"}[path[-1]]
    return {r[key] for r in rows}
