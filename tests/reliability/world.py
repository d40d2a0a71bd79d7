"""What must hold between operations, whatever went wrong: the invariants every reliability test
checks against the simulator's guests and the database file.

- no orphan: every CT tagged `proximity` is known to an app row (by vmid);
- the database agrees with Proxmox: an app `running`/`stopped` has its CT on its node in that
  state, an app `missing` has no CT, an app `error` carries a reason; no app is left in a
  transitional status (`deploying`, `removing`, `updating`) once no operation runs;
- no operation is left `running`, no CT is left locked, no temporary snapshot is left behind.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TAG = "proximity"
TEMP_SNAPSHOT_PREFIXES = ("proximity-clone-", "proximity-update-")


@dataclass(frozen=True)
class CtFacts:
    vmid: int
    node: str
    status: str
    name: str
    tags: tuple[str, ...]
    lock: str | None
    snapshots: tuple[str, ...]


def _tags(raw: Any) -> tuple[str, ...]:
    text = str(raw or "")
    for sep in (",", " "):
        text = text.replace(sep, ";")
    return tuple(t for t in text.split(";") if t)


def sim_containers(sim) -> dict[int, CtFacts]:
    """Every LXC guest of an in-process simulator, read on its loop."""

    def read() -> dict[int, CtFacts]:
        out = {}
        for vmid, g in sim.state.guests.items():
            if g.type != "lxc":
                continue
            out[vmid] = CtFacts(
                vmid=vmid,
                node=g.node,
                status=g.status,
                name=g.name,
                tags=_tags(g.config.get("tags")),
                lock=g.config.get("lock"),
                snapshots=tuple(g.snapshots),
            )
        return out

    return sim.call(read)


def sim_backups(sim) -> dict[str, int | None]:
    """Every backup archive in the simulator: volid -> vmid."""

    def read() -> dict[str, int | None]:
        out = {}
        for node in sim.state.nodes.values():
            for storage in node.storages.values():
                for volid, vol in storage.volumes.items():
                    if vol.content == "backup":
                        out[volid] = vol.vmid
        return out

    return sim.call(read)


def db_rows(db_path: Path, sql: str, *args: Any) -> list[tuple]:
    """Read the database file as an outsider would (plain sqlite3, read-only)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def app_rows(db_path: Path) -> list[dict[str, Any]]:
    import json

    rows = db_rows(db_path, "SELECT id, hostname, status, lxc_id, node, config FROM apps")
    out = []
    for app_id, hostname, status, vmid, node, config in rows:
        cfg = json.loads(config) if isinstance(config, str) and config else (config or {})
        out.append(
            {
                "id": app_id,
                "hostname": hostname,
                "status": status,
                "vmid": vmid,
                "node": node,
                "reason": (cfg or {}).get("status_reason"),
            }
        )
    return out


def problems(
    cts: dict[int, CtFacts],
    apps: list[dict[str, Any]],
    *,
    running_ops: list[tuple] = (),
    ignore_vmids: set[int] = frozenset(),
) -> list[str]:
    """Every broken invariant, one sentence each (an empty list: all is well)."""
    found: list[str] = []
    known = {a["vmid"] for a in apps}
    by_vmid = {a["vmid"]: a for a in apps}
    for ct in cts.values():
        if ct.vmid in ignore_vmids:
            continue
        if TAG in ct.tags and ct.vmid not in known:
            found.append(f"orphan: CT {ct.vmid} ({ct.name}) is tagged {TAG}, no app row knows it")
        if ct.vmid in known and ct.lock:
            found.append(f"CT {ct.vmid} is left locked ({ct.lock})")
        # A snapshot may stay only as the safety net of a failed rollback the app's reason names.
        reason = (by_vmid.get(ct.vmid) or {}).get("reason") or ""
        left = [s for s in ct.snapshots if s.startswith(TEMP_SNAPSHOT_PREFIXES) and s not in reason]
        if left:
            found.append(f"CT {ct.vmid} keeps temporary snapshot(s) {', '.join(left)}")
    for app in apps:
        ct = cts.get(app["vmid"])
        label = f"app {app['id']} ({app['status']}, vmid {app['vmid']})"
        status = app["status"]
        if status == "error":
            if not app["reason"]:
                found.append(f"{label} is error without a reason")
        elif status in ("running", "stopped"):
            if ct is None:
                found.append(f"{label}: its CT does not exist")
            elif ct.node != app["node"]:
                found.append(f"{label}: its CT is on {ct.node}, not {app['node']}")
            elif ct.status != status:
                found.append(f"{label}: its CT is {ct.status}")
        elif status == "missing":
            if ct is not None:
                found.append(f"{label}: its CT exists")
        else:
            found.append(f"{label} is left in a transitional status")
    for op in running_ops:
        found.append(f"operation #{op[0]} ({op[1]}) is left running")
    return found


def world_problems(sim, db_path: Path, *, ignore_vmids: set[int] = frozenset()) -> list[str]:
    """`problems()` for an in-process simulator and a database file."""
    running = db_rows(db_path, "SELECT id, kind FROM operations WHERE status = 'running'")
    return problems(
        sim_containers(sim), app_rows(db_path), running_ops=running, ignore_vmids=ignore_vmids
    )


def proximity_vmids(sim) -> set[int]:
    """CTs tagged `proximity` right now (the simulator's own seed guests, before a test)."""
    return {v for v, ct in sim_containers(sim).items() if TAG in ct.tags}


def wait_sim_idle(sim, timeout: float = 30.0) -> None:
    """Until no task runs in the simulator (what a call let go late set off has ended)."""

    def running() -> bool:
        return any(t.status == "running" for t in sim.state.tasks.tasks.values())

    end = time.monotonic() + timeout
    while sim.call(running):
        assert time.monotonic() < end, "a simulator task never ended"
        time.sleep(0.01)
