"""Issue 15, point 9, through the command line against `proximity-tui sim` (real HTTPS and SSH):
`migrate` adopts a container only when it carries our `proximity` tag (the simulator's cluster
holds CTs Proximity never created: 102 `pihole` tagged dns;infra, 103 `nextcloud-old`, 104
`media`), unless `--adopt-untagged` says so; `delete` of an app whose CT is untagged names that
in its confirmation (typed on a terminal) and on stderr with --yes."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import sqlite3
import subprocess
import sys

from proximity_tui.config import load_settings
from proximity_tui.proxmox.client import ProxmoxClient
from tests.commandline import REPO, run_cli
from tests.integration.cli.conftest import data_db


async def _guests(sim_process):
    settings = load_settings(sim_process.config, env={})
    async with ProxmoxClient.from_settings(settings.proxmox) as client:
        return await client.cluster_resources()


def containers(sim_process) -> dict[int, tuple[str, list[str]]]:
    """vmid -> (name, tags) of every CT, asked over the wire as the product asks."""
    return {g.vmid: (g.name, g.tags) for g in asyncio.run(_guests(sim_process)) if g.type == "lxc"}


def hostnames(env) -> list[str]:
    with sqlite3.connect(data_db(env)) as conn:
        return [r[0] for r in conn.execute("SELECT hostname FROM apps ORDER BY hostname")]


def apps_json(path, *entries: tuple[str, int]):
    path.write_text(
        json.dumps(
            {
                "apps": [
                    {
                        "id": f"nginx-{host}", "catalog_id": "nginx", "name": "Nginx",
                        "hostname": host, "status": "running", "lxc_id": vmid, "node": "pve1",
                        "environment": {"DB_PASSWORD": "hunter2-secret"},
                    }
                    for host, vmid in entries
                ]
            }
        )
    )  # fmt: skip
    return path


def delete_on_a_terminal(app: str, typed: str, env) -> tuple[int, str]:
    """`proximity-tui delete APP` with a terminal on stdin to type the confirmation on."""
    main, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "proximity_tui", "delete", app],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=REPO,
        )
        os.write(main, typed.encode() + b"\n")
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(main)
        os.close(terminal)
    return proc.returncode, out


def test_only_tagged_containers_are_adopted(sim_process, tmp_path):
    before = containers(sim_process)
    assert before[102] == ("pihole", ("dns", "infra")) and before[104][1] == ()

    # A CT we did create (deployed from another data directory), then an apps.json naming it,
    # the untagged ones, one whose name is not the entry's, and one the cluster does not hold.
    elsewhere = sim_process.env(tmp_path / "elsewhere")
    deployed = run_cli("deploy", "whoami", "--hostname", "mig-ours", env=elsewhere)
    assert deployed.returncode == 0, deployed.stderr
    ours = next(v for v, (name, _) in containers(sim_process).items() if name == "mig-ours")
    source = apps_json(
        tmp_path / "apps.json",
        ("mig-ours", ours), ("pihole", 102), ("media", 104), ("cloud", 103), ("gone", 990),
    )  # fmt: skip
    env = sim_process.env(tmp_path / "data")

    first = run_cli("migrate", str(source), env=env)
    assert first.returncode == 1, first.stderr  # some skipped
    lines = first.stdout.splitlines()
    assert lines[0] == "created   #1 nginx-mig-ours (mig-ours)"
    assert lines[1].startswith("skipped   #2 id 'nginx-pihole': CT 102 is not tagged 'proximity'")
    assert "--adopt-untagged" in lines[1] and "CT 104 is not tagged" in lines[2]
    assert "CT 103 is named 'nextcloud-old', not 'cloud'" in lines[3]
    assert lines[4] == "created   #5 nginx-gone (gone): no CT 990 on the cluster: listed as missing"
    assert hostnames(env) == ["gone", "mig-ours"]

    adopted = run_cli("migrate", str(source), "--adopt-untagged", "--json", env=env)
    report = json.loads(adopted.stdout)
    outcome = {e["hostname"] or e["id"]: (e["outcome"], e["reason"]) for e in report["entries"]}
    assert outcome["pihole"] == ("created", "CT 102 is untagged: adopted (--adopt-untagged)")
    assert outcome["nginx-cloud"][0] == "skipped"  # another name is never adopted
    assert hostnames(env) == ["gone", "media", "mig-ours", "pihole"]
    with sqlite3.connect(data_db(env)) as conn:  # where the CT is, whatever apps.json said
        [(node,)] = conn.execute("SELECT node FROM apps WHERE hostname = 'media'").fetchall()
    assert (
        node != "pve1"
        and node == next(g for g in asyncio.run(_guests(sim_process)) if g.vmid == 104).node
    )
    after = containers(sim_process)
    assert all(after.get(vmid) == seen for vmid, seen in before.items())  # nothing destroyed

    # The delete confirmation names the untagged CT; typing something else changes nothing.
    code, said = delete_on_a_terminal("pihole", "no", env)
    assert code == 2, said
    assert "CT 102 is not tagged 'proximity': Proximity did not create it" in said
    assert "did not match: nothing was changed" in said
    assert 102 in containers(sim_process) and "pihole" in hostnames(env)
    # An app whose CT is ours gets the plain question.
    code, said = delete_on_a_terminal("mig-ours", "no", env)
    assert code == 2 and "Type its hostname" in said and "not tagged" not in said

    # With --yes there is no question to carry it: stderr says it all the same.
    gone = run_cli("delete", "media", "--yes", env=env)
    assert gone.returncode == 0, gone.stderr
    assert gone.stderr.splitlines()[0] == (
        "proximity-tui: warning: CT 104 is not tagged 'proximity': Proximity did not create it, "
        "and deleting destroys it anyway"
    )
    assert 104 not in containers(sim_process)
