"""The simulator at scale: 5,000 guests.

Figures (each against a baseline measured in the same run):
- `GET /cluster/resources?type=vm` with 5,000 guests on 3 nodes: median ms per call until the
  whole answer has arrived at a keep-alive HTTPS client (target < 50 ms; decoding the JSON is the
  client's cost, not counted), against `GET /version` on the same server (the cost
  of an empty authenticated request);
- `GET /nodes/pve1/lxc` with all 5,000 containers on that one node (target < 50 ms), against
  `GET /version` on that server;
- starting a simulator with 5,000 guests until both servers listen (target < 1 s), against
  starting the smallest one (1 node, no guests).

Run: `python -m bench.bench_sim`.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import row

GUESTS = 5000
ROUNDS = 30


def _median_ms(fn: Callable[[], Any], rounds: int = ROUNDS) -> float:
    fn()  # warm up (connection, caches)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0


def _client(info: Any) -> Callable[[str], Any]:
    import requests
    from requests.adapters import HTTPAdapter

    class Pinned(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["assert_fingerprint"] = info.fingerprint.replace(":", "").lower()
            kwargs["cert_reqs"] = "CERT_NONE"
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.trust_env = False
    session.verify = False
    session.mount("https://", Pinned())
    session.headers["Authorization"] = f"PVEAPIToken={info.token_id}={info.token_secret}"

    def get(path: str) -> bytes:
        """The whole answer, as it arrives (decoding it is the client's own cost)."""
        response = session.get(f"{info.api_url}/api2/json{path}", timeout=30)
        response.raise_for_status()
        return response.content

    return get


def _start_seconds(**kwargs: Any) -> tuple[float, Any]:
    from pvesim.server import Simulator

    sim = Simulator(time_scale=0, **kwargs)
    start = time.perf_counter()
    sim.start()
    return time.perf_counter() - start, sim


def run() -> list[dict[str, Any]]:
    import warnings

    warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    rows = []
    _, sim = _start_seconds(nodes=1, preexisting=False)  # warm up: imports, first key pair
    sim.stop()
    small, sim = _start_seconds(nodes=1, preexisting=False)
    sim.stop()
    big, sim = _start_seconds(containers=GUESTS, preexisting=False)
    try:
        get = _client(sim.info)
        assert len(json.loads(get("/cluster/resources?type=vm"))["data"]) == GUESTS
        baseline = _median_ms(lambda: get("/version"))
        figure = _median_ms(lambda: get("/cluster/resources?type=vm"))
        rows.append(row(f"GET /cluster/resources, {GUESTS} guests", figure, "ms", baseline, 50))
    finally:
        sim.stop()
    _, sim = _start_seconds(nodes=1, containers=GUESTS, preexisting=False)
    try:
        get = _client(sim.info)
        assert len(json.loads(get("/nodes/pve1/lxc"))["data"]) == GUESTS
        baseline = _median_ms(lambda: get("/version"))
        figure = _median_ms(lambda: get("/nodes/pve1/lxc"))
        rows.append(row(f"GET /nodes/pve1/lxc, {GUESTS} CTs", figure, "ms", baseline, 50))
    finally:
        sim.stop()
    rows.append(row(f"simulator start, {GUESTS} guests", big, "s", small, 1.0))
    return rows


if __name__ == "__main__":
    for r in run():
        target = "-" if r["target"] is None else f"< {r['target']} {r['unit']}"
        print(
            f"{r['name']:<40} {r['figure']:>9} {r['unit']:<3} baseline {r['baseline']:>8} "
            f"ratio {r['ratio']:>6}x  target {target:<9} {'ok' if r['ok'] else 'SLOW'}"
        )
