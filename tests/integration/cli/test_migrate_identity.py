"""Migrated v1 apps get the identity block at migration (issue 18, point 4), not only at their
next update or restore: a second instance adopts them at once. Against `proximity-tui sim`
(real HTTPS and SSH), through the command line."""

from __future__ import annotations

import asyncio
import json

from proximity_tui.config import load_settings
from proximity_tui.proxmox.client import ProxmoxClient
from tests.commandline import json_lines, run_cli


async def _on_client(sim_process, work):
    settings = load_settings(sim_process.config, env={})
    async with ProxmoxClient.from_settings(settings.proxmox) as client:
        return await work(client)


def description(sim_process, node: str, vmid: int) -> str:
    async def read(client):
        return (await client.ct_config(node, vmid)).description

    return asyncio.run(_on_client(sim_process, read))


def test_migrate_writes_the_block_and_a_second_instance_adopts_at_once(sim_process, tmp_path):
    elsewhere = sim_process.env(tmp_path / "elsewhere")
    deployed = run_cli("deploy", "whoami", "--hostname", "v1-app", "--json", env=elsewhere)
    assert deployed.returncode == 0, deployed.stderr
    app = json.loads(deployed.stdout.splitlines()[-1])["result"]
    vmid, node = app["vmid"], app["node"]

    # What a v1 CT looks like: tagged, no identity block in its description.
    async def strip(client):
        await client.set_ct_config(node, vmid, description="my own notes")

    asyncio.run(_on_client(sim_process, strip))
    second = sim_process.env(tmp_path / "second")
    plan = json.loads(run_cli("adopt", "--dry-run", "--json", env=second).stdout)
    assert vmid in {s["vmid"] for s in plan["skipped"]}  # no block: nothing to adopt from

    source = tmp_path / "apps.json"
    source.write_text(
        json.dumps({"apps": [{"id": "v1-whoami", "catalog_id": "whoami", "name": "whoami",
                              "hostname": "v1-app", "status": "running", "lxc_id": vmid,
                              "node": node}]})
    )  # fmt: skip
    data = sim_process.env(tmp_path / "data")
    migrated = run_cli("migrate", str(source), env=data)
    assert migrated.returncode == 0, migrated.stderr
    assert f"identity block written to CT {vmid} (v1-whoami)" in migrated.stdout
    text = description(sim_process, node, vmid)
    assert "app-id: v1-whoami" in text and "my own notes" in text  # the user's text kept
    history = json_lines(run_cli("history", "--json", env=data).stdout)
    assert history[0]["kind"] == "identify" and history[0]["status"] == "succeeded"

    plan = json.loads(run_cli("adopt", "--dry-run", "--json", env=second).stdout)
    assert [a["app_id"] for a in plan["adopt"] if a["vmid"] == vmid] == ["v1-whoami"]

    # Again: nothing left to write (one read, no PUT), said by the JSON report.
    again = json.loads(run_cli("migrate", str(source), "--json", env=data).stdout)
    assert again["identity"]["written"] == {} and "v1-whoami" in again["identity"]["current"]
