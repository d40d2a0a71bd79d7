"""The whole lifecycle on the strictest host we model: a privilege-separated token holding only
what `proximity-tui setup` granted, container disks on directory storage (no snapshots) and no
DHCP on the bridge, with static addressing. Deploy (twice, concurrently: distinct addresses),
update, clone, backup and restore all work, each by the method the host allows; nothing of ours
reaches a container's environment."""

from __future__ import annotations

import asyncio

import pytest

from proximity_tui.config import load_settings, write_config
from proximity_tui.services.bootstrap import build_services
from proximity_tui.services.setup import SetupNames, run_setup, write_setup_config
from pvesim.server import Simulator

STATIC = {
    "deploy.network": "static",
    "deploy.addresses": "192.168.50.10-192.168.50.20/24",
    "deploy.gateway": "192.168.50.1",
    "deploy.health_timeout": 5.0,
    "deploy.task_timeout": 30.0,
}


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(
        nodes=2, time_scale=0.0, seed=51, profiles=["privsep-token", "dir-storage", "no-dhcp"]
    )
    simulator.start()
    yield simulator
    simulator.stop()


async def test_lifecycle_on_a_strict_host(sim, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    write_config(config, sim.client_settings(auth="password"))
    root = load_settings(config, db_path=tmp_path / "db.sqlite", env={})
    plan, result = await run_setup(root, SetupNames())
    write_setup_config(config, plan, result)
    settings = load_settings(config, db_path=tmp_path / "db.sqlite", env={}, overrides=STATIC)
    assert settings.proxmox.user != "root@pam" and settings.proxmox.token_value
    monkeypatch.setenv("PROXIMITY_PROXMOX_TOKEN_VALUE", settings.proxmox.token_value)
    services = build_services(settings)
    try:
        await services.run(services.connect(monitor=False))
        apps = services.apps

        async def two():
            return await asyncio.gather(
                apps.deploy_app("whoami", "strict-a"), apps.deploy_app("whoami", "strict-b")
            )

        a, b = await services.run(two())
        assert a.status == b.status == "running"
        assert a.config["address"] != b.config["address"]
        assert {a.config["address"], b.config["address"]} <= {
            f"192.168.50.{n}" for n in range(10, 21)
        }

        updated = await services.run(apps.update_app(a.id))
        assert updated.status == "running"
        ops = await services.run(apps.operations(app_id=a.id))
        assert ops[0].kind == "update" and ops[0].result["method"] == "backup"

        copy = await services.run(apps.clone_app(a.id, "strict-copy"))
        assert copy.status == "running"
        assert copy.config["address"] not in (a.config["address"], b.config["address"])

        backup = await services.run(apps.backup_app(b.id))
        restored = await services.run(apps.restore_app(b.id, backup.volid))
        assert restored.status == "running"

        # The monitor sees every app (the CTs are in setup's pool) and calls none missing.
        snapshot = await services.run(services.monitor.tick())
        assert {v.status for v in snapshot.apps.values()} == {"running"}

        # Nothing of ours inside: run `env` in a CT through the product's own pct path.
        result = await services.run(services.exec.run(a.node, a.vmid, ["env"]))
        assert settings.proxmox.token_value not in result.stdout
        assert "PROXIMITY_" not in result.stdout

        for app in (copy, a, b):
            await services.run(apps.delete_app(app.id))
        assert await services.run(apps.list_apps()) == []
    finally:
        services.close(wait=30)
