"""Adoption: app rows rebuilt from the cluster (`proximity-tui adopt`, the dashboard's offer).

Proxmox replicates every CT's configuration to every node, so the identity block we keep in a
CT's description (`services/identity.py`, docs/ct-identity.md) lets any instance, with any
database, rebuild the rows of the apps it does not know: a second admin, a second node, or the
same admin after the database was lost. `plan` only reads (one `/cluster/resources`, then for each
CT no row knows its config, and its address when it runs); `adopt` records a plan as one
operation (role checked, hostnames locked, journaled) whose rows go in in one transaction,
each checked again against the database at that moment.

Nothing is guessed:
- a CT without the block is adopted only when named with a catalog id (`--catalog-id ID VMID`),
  and an untagged one only with `--untagged` too (as migrate treats untagged CTs);
- environment values only the database held (generated passwords, values typed at deploy) are not
  invented: their names are reported unknown and kept in the row (`config["environment_unknown"]`)
  to be re-entered or re-generated; the app's `.env` in its CT still has them, so the app runs;
- two CTs claiming one hostname or app id, or a CT claiming a hostname or id a row of another CT
  holds, are conflicts: listed, none of them adopted;
- a CT template (a deploy's base template) is never an app.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import NotFoundError, ProximityError
from proximity_tui.proxmox.coerce import parse_property_string
from proximity_tui.secret_names import with_secret_names
from proximity_tui.services.catalog.model import SOURCES, parse_dotenv
from proximity_tui.services.containers import TAG, compose_file
from proximity_tui.services.identity import Identity, IdentityError, parse
from proximity_tui.services.operations.shape import OperationDeps, OperationSpec, StepDef, bind
from proximity_tui.services.validation import check_hostname

if TYPE_CHECKING:
    from proximity_tui.proxmox.models import CtConfig, Guest
    from proximity_tui.services.catalog.model import CatalogEntry
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.operations.context import OperationContext

#: The CT statuses an adopted row takes as they are; anything else is left to the monitor.
STATUSES = ("running", "stopped")


@dataclass(frozen=True)
class Found:
    """A CT that can become an app row."""

    vmid: int
    node: str
    hostname: str
    app_id: str
    catalog_id: str
    status: str
    url: str | None
    owner: str
    #: Environment variables whose values only the database held.
    unknown_env: tuple[str, ...]
    row: dict[str, Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Left:
    """A CT left alone, and why."""

    vmid: int
    node: str
    hostname: str
    reason: str


@dataclass(frozen=True)
class AdoptionPlan:
    adopt: tuple[Found, ...] = ()
    conflicts: tuple[Left, ...] = ()
    skipped: tuple[Left, ...] = ()
    #: Tagged CTs the database already knows.
    known: int = 0

    def to_json(self) -> dict[str, Any]:
        def left(item: Left) -> dict[str, Any]:
            return {"vmid": item.vmid, "node": item.node, "hostname": item.hostname,
                    "reason": item.reason}  # fmt: skip

        return {
            "adopt": [
                {
                    "vmid": f.vmid,
                    "node": f.node,
                    "hostname": f.hostname,
                    "app_id": f.app_id,
                    "catalog_id": f.catalog_id,
                    "status": f.status,
                    "url": f.url,
                    "owner": f.owner,
                    "environment_unknown": list(f.unknown_env),
                }
                for f in self.adopt
            ],
            "conflicts": [left(c) for c in self.conflicts],
            "skipped": [left(s) for s in self.skipped],
            "known": self.known,
        }


async def plan(
    deps: OperationDeps,
    catalog: CatalogService,
    *,
    catalog_id: str | None = None,
    vmids: tuple[int, ...] = (),
    untagged: bool = False,
    read_env: bool = False,
) -> AdoptionPlan:
    """What `adopt` would record: reads only. `vmids` limits it to those CTs (and is required
    for adopting CTs without the block, with `catalog_id`). With `read_env`, a running CT's
    `.env` gives the environment (the values the app runs with) instead of leaving it unknown."""
    guests = [g for g in await deps.client.cluster_resources() if g.type == "lxc"]
    rows = await deps.records.list()
    by_vmid = {a.vmid: a for a in rows}
    named = set(vmids)
    skipped = [
        Left(v, "", "", "no such container (or not visible to this Proxmox user)")
        for v in sorted(named - {g.vmid for g in guests})
    ]
    found: list[Found] = []
    known = 0
    for guest in sorted(guests, key=lambda g: g.vmid):
        ours = TAG in guest.tags
        if (named and guest.vmid not in named) or (not named and not ours):
            continue
        if guest.vmid in by_vmid:
            known += 1
            if named:
                skipped.append(_left(guest, f"already the app {by_vmid[guest.vmid].id}"))
            continue
        try:
            found.append(
                await _candidate(deps, catalog, guest, catalog_id, untagged, named, read_env)
            )
        except _Skip as skip:
            skipped.append(_left(guest, str(skip)))
    adopt, conflicts = _conflicts(found, rows)
    return AdoptionPlan(tuple(adopt), tuple(conflicts), tuple(skipped), known)


class _Skip(Exception):
    pass


def _left(guest: Guest, reason: str) -> Left:
    return Left(guest.vmid, guest.node, guest.name, reason)


async def _candidate(
    deps: OperationDeps,
    catalog: CatalogService,
    guest: Guest,
    catalog_id: str | None,
    untagged: bool,
    named: set[int],
    read_env: bool = False,
) -> Found:
    if guest.template:
        raise _Skip("a CT template (a deploy's base, say) is never adopted as an app")
    if TAG not in guest.tags and not untagged:
        raise _Skip(f"not tagged {TAG!r}: adopt it with --untagged --catalog-id ID {guest.vmid}")
    config = await deps.client.ct_config(guest.node, guest.vmid)
    try:
        identity = parse(config.description)
    except IdentityError as exc:
        raise _Skip(str(exc)) from None
    if identity is None:
        if catalog_id is None or guest.vmid not in named:
            raise _Skip(f"no identity block: adopt it with --catalog-id ID {guest.vmid}")
        try:
            hostname = check_hostname(config.hostname or guest.name)
        except ProximityError as exc:
            raise _Skip(str(exc)) from None
        identity = Identity(f"{catalog_id}-{hostname}", catalog_id, hostname)
    # An added source's entry is `source/id` (catalog sources); bundled, user, imported: the id.
    source = identity.catalog_source
    ref = identity.catalog_id if source in ("", *SOURCES) else f"{source}/{identity.catalog_id}"
    try:
        entry = catalog.get(ref)
    except NotFoundError:
        hint = f" (add the catalog source {source!r})" if ref != identity.catalog_id else ""
        raise _Skip(f"catalog entry {ref!r} is not in this catalog{hint}") from None
    address = await _address(deps, guest, config)
    status = guest.status if guest.status in STATUSES else "error"
    url = entry.url(address) if address else None
    cfile = identity.compose_file or compose_file(identity.hostname)
    env = await _read_env(deps, guest, cfile) if read_env else {}
    unknown = tuple(v.name for v in entry.env if v.name not in env)
    row = _row(deps, entry, identity, guest, config, address, url, status, unknown)
    row["environment"] = env
    row["config"] = with_secret_names(row["config"], env)  # the product's one rule
    return Found(
        guest.vmid,
        guest.node,
        identity.hostname,
        identity.app_id,
        entry.id,
        status,
        url,
        identity.owner,
        unknown,
        row,
    )


async def _read_env(deps: OperationDeps, guest: Guest, cfile: str) -> dict[str, str]:
    """The `.env` beside the compose file (one `pct exec`), while the CT runs; {} otherwise."""
    if not guest.running:
        return {}
    path = cfile.rsplit("/", 1)[0] + "/.env"
    try:
        result = await deps.exec.run(guest.node, guest.vmid, ["cat", path], check=False)
    except ProximityError:
        return {}
    return parse_dotenv(result.stdout) if result.exit_status == 0 else {}


async def _address(deps: OperationDeps, guest: Guest, config: CtConfig) -> str | None:
    """The CT's address: a static one from net0, else the live one while it runs."""
    ip = config.nets.get("net0", {}).get("ip", "")
    if "/" in ip:
        return ip.split("/", 1)[0]
    if not guest.running:
        return None
    try:
        return await deps.containers.address(guest.node, guest.vmid)
    except ProximityError:
        return None  # the monitor and the next start fill it in


def _network(config: CtConfig) -> dict[str, Any]:
    net0 = config.nets.get("net0", {})
    ip = net0.get("ip", "dhcp")
    tag = net0.get("tag")
    record: dict[str, Any] = {
        "mode": "dhcp",
        "address": None,
        "prefix": None,
        "gateway": None,
        "dns": None,
        "vlan": int(tag) if tag and tag.isdigit() else None,
        "bridge": net0.get("bridge", "vmbr0"),
    }
    if "/" in ip:
        address, prefix = ip.split("/", 1)
        record.update(
            mode="static",
            address=address,
            prefix=int(prefix) if prefix.isdigit() else None,
            gateway=net0.get("gw"),
            dns=config.raw.get("nameserver"),
        )
    return record


def _disk_gb(rootfs: str) -> int | None:
    size = parse_property_string(rootfs).get("size", "")
    found = re.fullmatch(r"(\d+)([KMGT]?)", size)
    if not found:
        return None
    scale = {"K": 1 / 1024**2, "M": 1 / 1024, "G": 1, "T": 1024, "": 1 / 1024**3}
    return max(1, round(int(found.group(1)) * scale[found.group(2)]))


def _row(
    deps: OperationDeps,
    entry: CatalogEntry,
    identity: Identity,
    guest: Guest,
    config: CtConfig,
    address: str | None,
    url: str | None,
    status: str,
    unknown: tuple[str, ...],
) -> dict[str, Any]:
    web_port = entry.web_port()
    row: dict[str, Any] = {
        "id": identity.app_id,
        "catalog_id": entry.id,
        "name": entry.name,
        "hostname": identity.hostname,
        "status": status,
        "url": url,
        "lxc_id": guest.vmid,
        "node": guest.node,
        "config": {
            "cores": config.cores or None,
            "memory": config.memory,
            "disk": _disk_gb(config.rootfs),
            "storage": config.rootfs_storage,
            "template": None,
            "compose_file": identity.compose_file or compose_file(identity.hostname),
            "web_port": web_port.number if web_port else None,
            "health": {
                "port": entry.health.port if entry.health else None,
                "path": entry.health.path if entry.health else None,
            },
            "secret_names": entry.secret_names(),
            "version": identity.version or entry.version,
            "catalog_source": identity.catalog_source or entry.source,
            "address": address,
            "network": _network(config),
            "environment_unknown": list(unknown),
            "adopted": {"at": datetime.now(UTC).isoformat(), "owner": identity.owner},
            "status_reason": None if status in STATUSES else f"CT {guest.vmid} is {guest.status}",
        },
        "ports": {str(p.number): p.number for p in entry.ports},
        "volumes": [v.name for v in entry.volumes],
        "environment": {},
    }
    if identity.created is not None:
        row["created_at"] = identity.created
    return row


def _conflicts(found: list[Found], rows: list[Any]) -> tuple[list[Found], list[Left]]:
    """Split the candidates: two claiming one hostname or id, or one claiming what a row of
    another CT holds, are conflicts (listed with the other party, never guessed)."""
    hosts = Counter(f.hostname for f in found)
    ids = Counter(f.app_id for f in found)
    row_host = {a.hostname: a for a in rows}
    row_id = {a.id: a for a in rows}
    adopt, conflicts = [], []
    for f in found:
        other = row_host.get(f.hostname) or row_id.get(f.app_id)
        if other is not None:
            reason = f"the app {other.id} (CT {other.vmid}) already has this hostname or id"
        elif hosts[f.hostname] > 1 or ids[f.app_id] > 1:
            rivals = [str(g.vmid) for g in found if g is not f and g.hostname == f.hostname]
            rivals += [str(g.vmid) for g in found if g is not f and g.app_id == f.app_id]
            reason = f"CT {', '.join(sorted(set(rivals)))} claims the same hostname or id"
        else:
            adopt.append(f)
            continue
        conflicts.append(Left(f.vmid, f.node, f.hostname, reason))
    return adopt, conflicts


# --- the operation ---


async def _record(deps: OperationDeps, plan: AdoptionPlan, ctx: OperationContext) -> None:
    adopted, refused = await deps.records.adopt(
        [(f.row, f.owner) for f in plan.adopt], fallback_owner=deps.user_id
    )
    for f in plan.adopt:
        if f.app_id in adopted:
            unknown = f" (environment unknown: {', '.join(f.unknown_env)})" if f.unknown_env else ""
            ctx.log(f"adopted CT {f.vmid} on {f.node} as {f.app_id}{unknown}")
    for app_id, reason in refused:
        ctx.log(f"{app_id} not adopted: {reason}", level="warning")
    ctx.state["result"] = {"adopted": adopted, "refused": dict(refused)}


ADOPT: tuple[StepDef[AdoptionPlan], ...] = (StepDef("record", "Record the adopted apps", _record),)


def _done(ctx: OperationContext) -> str:
    result = ctx.state.get("result") or {}
    count, refused = len(result.get("adopted", ())), len(result.get("refused", ()))
    return f"{count} app{'s' if count != 1 else ''} adopted" + (
        f", {refused} refused" if refused else ""
    )


def adopt(deps: OperationDeps, plan: AdoptionPlan) -> OperationSpec:
    return OperationSpec(
        "adopt",
        None,
        None,
        bind(ADOPT, deps, plan),
        success_message=_done,
        parameters={"vmids": [f.vmid for f in plan.adopt]},
        lock=[f"hostname:{f.hostname}" for f in plan.adopt],
        # Values read from a CT's .env under secret names: masked from the start.
        secrets=[
            str(value)
            for f in plan.adopt
            for name, value in f.row["environment"].items()
            if name in (f.row["config"].get("secret_names") or ())
        ],
    )
