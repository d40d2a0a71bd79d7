"""Doctor checks about the nodes: storages, bridges, DHCP, templates, `pct`, lxc-pve."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from proximity_tui import errors as e
from proximity_tui.services.doctor.model import FAIL, OK, WARN, Report
from proximity_tui.services.doctor.versions import RUNC_ERROR, lxc_pve_fixed, major_of

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.proxmox.models import Storage
    from proximity_tui.services.journal import Journal

#: Storage types whose CT volumes can be snapshotted: their plugins' `volume_has_feature`
#: (pve-storage `src/PVE/Storage/LvmThinPlugin.pm`, `ZFSPoolPlugin.pm`, `RBDPlugin.pm`,
#: `BTRFSPlugin.pm`). `dir`, `nfs`, `cifs`, `cephfs` inherit `Plugin.pm`, which snapshots only
#: qcow2 files, and thick `lvm` (`LVMPlugin.pm`) likewise; a CT volume is raw or a subvolume,
#: so "snapshot feature is not available" (pve-guest-common `src/PVE/AbstractConfig.pm`).
SNAPSHOT_TYPES = frozenset({"lvmthin", "zfspool", "rbd", "btrfs"})


def can_snapshot(storage_type: str) -> bool:
    return storage_type in SNAPSHOT_TYPES


async def check_storages(
    report: Report, client: ProxmoxClient, nodes: list[str], deploy: DeploySettings
) -> str | None:
    """Which storages hold CT disks, templates and backups, and which can snapshot.

    Returns the storage backups go to (None: none)."""
    listed = await asyncio.gather(*(client.storages(n) for n in nodes), return_exceptions=True)
    by_name: dict[str, Storage] = {}
    on_nodes: dict[str, list[str]] = {}
    for node, result in zip(nodes, listed, strict=True):
        if isinstance(result, BaseException):
            report.add(f"storage on {node}", WARN, f"cannot list storages: {result}")
            continue
        for st in result:
            if st.usable:
                by_name.setdefault(st.storage, st)
                on_nodes.setdefault(st.storage, []).append(node)

    def with_content(content: str) -> list[str]:
        return sorted(s for s, st in by_name.items() if st.accepts(content))

    def role(name: str, wanted: str, what: str, key: str) -> Storage | None:
        st = by_name.get(name)
        others = ", ".join(with_content(wanted)) or "none visible"
        if st is None:
            report.add(
                f"storage: {what}",
                FAIL,
                f"{name} is not visible on any node (it does not exist, is disabled, or this "
                f"user lacks Datastore.Audit on /storage/{name}); storages for {wanted}: {others}",
                f"set [deploy] {key} to one of: {others}",
            )
            return None
        if not st.accepts(wanted):
            report.add(
                f"storage: {what}",
                FAIL,
                f"{name} ({st.type}) does not hold {wanted} "
                f"(content: {','.join(sorted(st.content))})",
                f"set [deploy] {key} to one of: {others}, or `pvesm set {name} --content "
                f"{','.join(sorted(st.content | {wanted}))}`",
            )
            return None
        report.add(
            f"storage: {what}",
            OK,
            f"{name} ({st.type}) holds {wanted} on {', '.join(on_nodes[name])}",
        )
        return st

    rootdir = role(deploy.storage, "rootdir", "containers", "storage")
    role(deploy.template_storage, "vztmpl", "templates", "template_storage")
    backup = (
        role(deploy.backup_storage, "backup", "backups", "backup_storage")
        if deploy.backup_storage
        else None
    )
    if not deploy.backup_storage:
        choices = with_content("backup")
        if choices:
            report.add("storage: backups", OK, f"backups go to {choices[0]} (holds backup)")
            backup = by_name[choices[0]]
        else:
            report.add(
                "storage: backups",
                WARN,
                "no storage holds backups: backup, restore, and update's fallback on storage "
                "without snapshots are unavailable",
                "add `backup` to a storage's content (`pvesm set local --content "
                "vztmpl,iso,backup`) or set [deploy] backup_storage",
            )
    backup_name = backup.storage if backup is not None else None
    if rootdir is None:
        return backup_name
    snap_capable = sorted(s for s in with_content("rootdir") if can_snapshot(by_name[s].type))
    if can_snapshot(rootdir.type):
        report.add(
            "snapshots",
            OK,
            f"{rootdir.storage} ({rootdir.type}) can snapshot containers: update and clone use "
            "snapshots",
        )
    else:
        fallback = "stop + vzdump" if backup is not None else "nothing (no backup storage)"
        report.add(
            "snapshots",
            WARN,
            f"{rootdir.storage} ({rootdir.type}) cannot snapshot containers (only lvmthin, "
            f"zfspool, rbd and btrfs can): update's rollback point falls back to {fallback}, "
            "and clone of a running app to a backup and restore",
            (
                f"to use snapshots, set [deploy] storage to one of: {', '.join(snap_capable)}"
                if snap_capable
                else "to use snapshots, add an lvmthin, zfspool, rbd or btrfs storage for "
                "containers"
            ),
        )
    return backup_name


async def check_bridges(
    report: Report, client: ProxmoxClient, nodes: list[str], bridge: str
) -> None:
    async def bridges(node: str) -> set[str]:
        rows = await client.request("GET", "nodes", node, "network", type="any_bridge") or []
        return {str(r.get("iface")) for r in rows if isinstance(r, dict)}

    found = await asyncio.gather(*(bridges(n) for n in nodes), return_exceptions=True)
    errors = [(n, r) for n, r in zip(nodes, found, strict=True) if isinstance(r, BaseException)]
    lacking = [
        n for n, r in zip(nodes, found, strict=True) if isinstance(r, set) and bridge not in r
    ]
    if lacking:
        report.add(
            f"bridge: {bridge}",
            FAIL,
            f"{bridge} does not exist on {', '.join(lacking)}: containers placed there get no "
            "network",
            f"create {bridge} on those nodes (System > Network) or set [deploy] bridge",
        )
    elif errors:
        node, exc = errors[0]
        report.add(f"bridge: {bridge}", WARN, f"cannot list the bridges of {node}: {exc}")
    else:
        report.add(f"bridge: {bridge}", OK, f"{bridge} exists on {', '.join(nodes)}")


def check_dhcp(report: Report, journal: Journal | None, deploy: DeploySettings) -> None:
    """Did DHCP answer the last deploy? Read from our own journal, not guessed."""
    if getattr(deploy, "network", "dhcp") == "static":
        report.add("dhcp", OK, 'static addressing ([deploy] network = "static"): DHCP not used')
        return
    if journal is None:
        report.add("dhcp", OK, "no deploy recorded yet")
        return
    last = journal.list(limit=20, kind="deploy", status=("succeeded", "failed", "rolled_back"))
    reached = [
        op
        for op in last
        if op.status == "succeeded"
        or op.step in ("network", "docker", "compose", "health", "record")
    ]
    if not reached:
        report.add("dhcp", OK, "no deploy has reached the network step yet")
        return
    op = reached[0]
    when = op.started_at.strftime("%Y-%m-%d %H:%M UTC")
    if op.status != "succeeded" and op.step == "network":
        report.add(
            "dhcp",
            FAIL,
            f"the last deploy (#{op.id}, {op.hostname}, {when}) got no address on "
            f"{deploy.bridge}: {op.error or 'no DHCP answer'}",
            f"run a DHCP server on {deploy.bridge}, or use static addressing: [deploy] network = "
            '"static" with an address pool, gateway and DNS',
        )
    else:
        report.add("dhcp", OK, f"DHCP answered the last deploy (#{op.id}, {op.hostname}, {when})")


async def check_template(
    report: Report, client: ProxmoxClient, nodes: list[str], deploy: DeploySettings
) -> None:
    """The template a deploy would use, resolved as the deploy resolves it (`templates.py`):
    a pinned name must still be on the node or in its index (Proxmox's index rotates builds)."""
    from proximity_tui.services.templates import newest_alpine, resolve_template

    node = nodes[0]
    pinned = deploy.template or None
    try:
        choice = await resolve_template(client, node, pinned)
    except e.ValidationError as exc:
        fix = "run `pveam update` on the node"
        if pinned:
            with suppress(e.ProximityError):
                newest = newest_alpine([a.template for a in await client.appliances(node)])
                if newest:
                    fix = f'remove [deploy] template (or set it to "{newest}")'
        report.add("template", FAIL, f"{exc}: deploys fail at the template step", fix)
        return
    except e.ProximityError as exc:
        report.add("template", WARN, f"cannot read the templates of {node}: {exc}")
        return
    report.add("template", OK, f"{choice.name} ({choice.source}): {choice.describe(node)}")


async def check_pct(report: Report, exec_: ContainerExec, nodes: list[str]) -> None:
    async def one(node: str) -> None:
        how = exec_.transport_kind(node)
        try:
            await exec_.pct(node, "list", timeout=20)
        except e.ProximityError as exc:
            fix = (
                'run the product as root on a PVE node, or set [ssh] mode = "ssh"'
                if how == "local"
                else f"check that root can ssh to {node} with [ssh] key, and known_hosts or "
                "[ssh] fingerprint ([ssh] nodes maps node names to addresses)"
            )
            report.add(f"pct: {node}", FAIL, f"`pct list` on {node} ({how}) failed: {exc}", fix)
            return
        report.add(f"pct: {node}", OK, f"`pct list` answered on {node} ({how})")

    for node in nodes:  # in node order, so the report reads the same every time
        await one(node)


def _package(rows: list[dict[str, Any]], name: str) -> str | None:
    for row in rows:
        if isinstance(row, dict) and row.get("Package") == name:
            return str(row.get("Version") or row.get("OldVersion") or "") or None
    return None


async def check_lxc_pve(
    report: Report, client: ProxmoxClient, nodes: list[str], cluster_major: int | None
) -> None:
    for node in nodes:
        name = f"lxc-pve: {node}"
        try:
            rows = await client.request("GET", "nodes", node, "apt", "versions") or []
        except e.ProxmoxPermissionError as exc:
            report.add(
                name,
                WARN,
                f"cannot read package versions (needs Sys.Audit on /nodes/{node}): {exc}",
            )
            continue
        except e.ProximityError as exc:
            report.add(name, WARN, f"cannot read package versions: {exc}")
            continue
        lxc = _package(rows, "lxc-pve")
        major = major_of(_package(rows, "pve-manager") or "") or cluster_major
        if not lxc:
            report.add(name, WARN, f"lxc-pve is not listed on {node}")
            continue
        fixed, wanted = lxc_pve_fixed(major, lxc)
        if fixed:
            report.add(name, OK, f"lxc-pve {lxc} (Docker inside containers works; fix in {wanted})")
        elif fixed is None:
            report.add(
                name,
                FAIL,
                f"lxc-pve {lxc} on PVE {major}: no fixed lxc-pve exists for this release; Docker "
                f"with runc 1.3.3 or later fails inside containers: {RUNC_ERROR}",
                "upgrade the node to PVE 8 or 9 and its lxc-pve to the fixed version",
            )
        else:
            report.add(
                name,
                FAIL,
                f"lxc-pve {lxc} is older than {wanted}: Docker with runc 1.3.3 or later fails "
                f"inside containers with `{RUNC_ERROR}` (opencontainers/runc#4972, "
                "moby/moby#51405)",
                f"on {node}: apt update && apt install lxc-pve (>= {wanted}), then restart the "
                "containers",
            )
