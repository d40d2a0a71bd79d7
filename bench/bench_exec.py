"""`pct exec` round trips and API call overhead, against the simulator over real SSH and HTTPS.

Figures (each against a baseline measured in the same run):
- a `pct exec` round trip over the pooled SSH connection (median ms; target < 20 ms), against a
  fresh SSH connection per command (what a pool-less client pays);
- one GET (`/version`) through `ProxmoxClient` (worker thread, pinned TLS, typed result) against
  the same GET through raw proxmoxer on the calling thread (target: at most 1.5x).

Run: `python -m bench.bench_exec`.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from proxmoxer import ProxmoxAPI

from proximity_tui.config import ProxmoxSettings, SshSettings
from proximity_tui.proxmox.client import ProxmoxClient
from proximity_tui.proxmox.exec import ContainerExec
from pvesim.server import Simulator

EXEC_ROUNDS = 60
FRESH_ROUNDS = 12
GET_ROUNDS = 150


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def _settings(info: Any) -> tuple[ProxmoxSettings, SshSettings]:
    px = ProxmoxSettings(
        host=info.host,
        port=info.api_port,
        user=info.user,
        token_name=info.token_name,
        token_value=info.token_secret,
        fingerprint=info.fingerprint,
    )
    ssh = SshSettings(
        mode="ssh",
        user=info.ssh_user,
        key=str(info.ssh_key_path),
        fingerprint=info.ssh_host_key_fingerprint,
        nodes={n: f"{info.host}:{p}" for n, p in info.ssh_ports.items()},
    )
    return px, ssh


async def _running_ct(client: ProxmoxClient) -> tuple[str, int]:
    for guest in await client.cluster_resources():
        if guest.type == "lxc" and guest.running and not guest.template:
            return guest.node, guest.vmid
    guest = next(g for g in await client.cluster_resources() if g.type == "lxc")
    await client.wait_task(await client.ct_action(guest.node, guest.vmid, "start"))
    return guest.node, guest.vmid


async def _exec_figures(px: ProxmoxSettings, ssh: SshSettings) -> tuple[float, float]:
    async with ProxmoxClient.from_settings(px) as client:
        node, vmid = await _running_ct(client)
    pooled = ContainerExec(ssh)
    try:
        await pooled.run(node, vmid, ["true"])  # opens the connection
        samples = []
        for _ in range(EXEC_ROUNDS):
            started = time.perf_counter()
            await pooled.run(node, vmid, ["echo", "ok"])
            samples.append(time.perf_counter() - started)
    finally:
        await pooled.close()
    fresh = []
    for _ in range(FRESH_ROUNDS):
        started = time.perf_counter()
        ex = ContainerExec(ssh)
        await ex.run(node, vmid, ["echo", "ok"])
        await ex.close()
        fresh.append(time.perf_counter() - started)
    return _median_ms(samples), _median_ms(fresh)


async def _client_get(px: ProxmoxSettings) -> float:
    async with ProxmoxClient.from_settings(px) as client:
        await client.version()
        samples = []
        for _ in range(GET_ROUNDS):
            started = time.perf_counter()
            await client.version()
            samples.append(time.perf_counter() - started)
    return _median_ms(samples)


def _raw_get(info: Any) -> float:
    api = ProxmoxAPI(
        info.host,
        port=info.api_port,
        user=info.user,
        token_name=info.token_name,
        token_value=info.token_secret,
        verify_ssl=False,
        timeout=10,
    )
    api.version.get()
    samples = []
    for _ in range(GET_ROUNDS):
        started = time.perf_counter()
        api.version.get()
        samples.append(time.perf_counter() - started)
    return _median_ms(samples)


def run() -> list[dict]:
    with Simulator(nodes=1, containers=0, time_scale=0.0, seed=1) as sim:
        info = sim.info if hasattr(sim, "info") else sim.start()
        px, ssh = _settings(info)
        pooled_ms, fresh_ms = asyncio.run(_exec_figures(px, ssh))
        client_ms = asyncio.run(_client_get(px))
        raw_ms = _raw_get(info)
    return [
        {
            "name": "pct exec round trip, pooled SSH (vs fresh connection each)",
            "figure": round(pooled_ms, 2),
            "unit": "ms",
            "baseline": round(fresh_ms, 2),
            "ratio": round(pooled_ms / fresh_ms, 3),
            "target": "< 20 ms",
            "ok": pooled_ms < 20.0,
        },
        {
            "name": "one API GET via ProxmoxClient (vs raw proxmoxer)",
            "figure": round(client_ms, 2),
            "unit": "ms",
            "baseline": round(raw_ms, 2),
            "ratio": round(client_ms / raw_ms, 3),
            "target": "<= 1.5x raw",
            "ok": client_ms <= 1.5 * raw_ms,
        },
    ]


def main() -> None:
    for row in run():
        mark = "ok" if row["ok"] else "MISSED"
        print(
            f"{row['name']}: {row['figure']} {row['unit']} (baseline {row['baseline']} "
            f"{row['unit']}, ratio {row['ratio']}, target {row['target']}) {mark}"
        )


if __name__ == "__main__":
    main()
