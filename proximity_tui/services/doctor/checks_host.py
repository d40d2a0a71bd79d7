"""Doctor checks about the nodes: storages, bridges, DHCP, templates, `pct`, lxc-pve."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proximity_tui import errors as e
from proximity_tui.services.doctor.model import FAIL, OK, WARN, Check, Report
from proximity_tui.services.doctor.versions import RUNC_ERROR, lxc_pve_fixed, major_of
from proximity_tui.services.network import DHCP_SILENCE
from proximity_tui.services.storage_caps import SNAPSHOT_TYPES

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.proxmox.models import Storage
    from proximity_tui.services.journal import Journal


def can_snapshot(storage_type: str) -> bool:
    """By type, as update and clone decide (`services/storage_caps.py`, citing pve-storage)."""
    return storage_type in SNAPSHOT_TYPES


@dataclass
class Survey:
    """Every node's storage listing (only what the caller may audit: pve-manager
    `PVE/API2/Storage/Status.pm` filters on Datastore.Audit or Datastore.AllocateSpace)."""

    by_name: dict[str, Storage] = field(default_factory=dict)
    on_nodes: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def with_content(self, content: str) -> list[str]:
        return sorted(s for s, st in self.by_name.items() if st.accepts(content))

    def backup_storage(self, deploy: DeploySettings) -> str | None:
        """Where backups go, as `operations/backups.py` chooses it."""
        return deploy.backup_storage or next(iter(self.with_content("backup")), None)


async def survey_storages(client: ProxmoxClient, nodes: list[str]) -> Survey:
    survey = Survey()
    listed = await asyncio.gather(*(client.storages(n) for n in nodes), return_exceptions=True)
    for node, result in zip(nodes, listed, strict=True):
        if isinstance(result, BaseException):
            survey.errors[node] = str(result)
            continue
        for st in result:
            if st.usable:
                survey.by_name.setdefault(st.storage, st)
                survey.on_nodes.setdefault(st.storage, []).append(node)
    return survey


def check_storages(
    report: Report,
    survey: Survey,
    deploy: DeploySettings,
    held: dict[str, set[str]] | None = None,
) -> None:
    """Which storages hold CT disks, templates and backups, and which can snapshot. `held`
    (path -> privileges, from the permissions check) tells a missing storage from a hidden one."""
    by_name, on_nodes, with_content = survey.by_name, survey.on_nodes, survey.with_content
    for node, error in survey.errors.items():
        report.add(f"storage on {node}", WARN, f"cannot list storages: {error}")

    def hidden(name: str) -> bool:
        privs = (held or {}).get(f"/storage/{name}")
        return privs is not None and not {"Datastore.Audit", "Datastore.AllocateSpace"} & privs

    def role(name: str, wanted: str, what: str, key: str, fallback: bool) -> Storage | None:
        """The storage that will be used for `wanted`: the configured one, else (when the
        operation falls back, as deploy does for disks and templates) the first that holds it."""
        st = by_name.get(name)
        if st is not None and st.accepts(wanted):
            where = ", ".join(on_nodes[name])
            report.add(f"storage: {what}", OK, f"{name} ({st.type}) holds {wanted} on {where}")
            return st
        choices = with_content(wanted)
        if st is None and hidden(name):
            report.add(
                f"storage: {what}",
                WARN,
                f"{name} is not visible to this user: it lacks Datastore.Audit on /storage/{name} "
                "(granted by the permissions fixes above)",
            )
            return None
        if st is None:
            why = (
                f"{name} is not visible on any node (it does not exist, is disabled, or this "
                f"user lacks Datastore.Audit on /storage/{name})"
            )
            also = ""
        else:
            held = ",".join(sorted(st.content))
            why = f"{name} ({st.type}) does not hold {wanted} (content: {held})"
            content = ",".join(sorted(st.content | {wanted}))
            also = f", or `pvesm set {name} --content {content}`"
        if choices and fallback:
            used = by_name[choices[0]]
            report.add(
                f"storage: {what}",
                WARN,
                f"{why}; the product falls back to {used.storage} ({used.type})",
                f'set [deploy] {key} = "{used.storage}"{also}',
            )
            return used
        report.add(
            f"storage: {what}",
            FAIL,
            f"{why}; storages that hold {wanted}: {', '.join(choices) or 'none'}",
            (f"set [deploy] {key} to one of: {', '.join(choices)}{also}" if choices else
             f"add {wanted} to a storage's content (`pvesm set STORAGE --content ...,{wanted}`)"),
        )  # fmt: skip
        return None

    rootdir = role(deploy.storage, "rootdir", "containers", "storage", True)
    role(deploy.template_storage, "vztmpl", "templates", "template_storage", True)
    backup = (
        role(deploy.backup_storage, "backup", "backups", "backup_storage", False)
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
                "no storage visible to this user holds backups: backup, restore, and the "
                "backup-based path of update and clone (storage without snapshots) are unavailable",
                "add `backup` to a storage's content (`pvesm set local --content "
                "vztmpl,iso,backup`) or set [deploy] backup_storage",
            )
    if rootdir is None:
        return
    snap_capable = sorted(s for s in with_content("rootdir") if can_snapshot(by_name[s].type))
    if can_snapshot(rootdir.type):
        report.add(
            "snapshots",
            OK,
            f"{rootdir.storage} ({rootdir.type}) can snapshot containers: update and clone use "
            "snapshots",
        )
    else:
        report.add(
            "snapshots",
            WARN if backup is not None else FAIL,
            f"{rootdir.storage} ({rootdir.type}) cannot snapshot containers (only lvmthin, "
            "zfspool, rbd and btrfs can): "
            + (
                "update and clone of a running app use a backup (vzdump) instead"
                if backup is not None
                else "and no storage holds backups, so update and clone of a running app have "
                "no way to keep a copy"
            ),
            (
                f"to use snapshots, set [deploy] storage to one of: {', '.join(snap_capable)}"
                if snap_capable
                else "to use snapshots, add an lvmthin, zfspool, rbd or btrfs storage for "
                "containers"
            ),
        )


async def check_bridges(
    report: Report,
    client: ProxmoxClient,
    nodes: list[str],
    bridge: str,
    held: dict[str, set[str]] | None = None,
) -> None:
    """The bridge on every node. From PVE 8 the listing shows a bridge only to callers with
    SDN.Audit or SDN.Use on it (pve-manager `PVE/API2/Network.pm`, `check_sdn_bridge`)."""

    async def bridges(node: str) -> set[str]:
        rows = await client.request("GET", "nodes", node, "network", type="any_bridge") or []
        return {str(r.get("iface")) for r in rows if isinstance(r, dict)}

    found = await asyncio.gather(*(bridges(n) for n in nodes), return_exceptions=True)
    errors = [(n, r) for n, r in zip(nodes, found, strict=True) if isinstance(r, BaseException)]
    lacking = [
        n for n, r in zip(nodes, found, strict=True) if isinstance(r, set) and bridge not in r
    ]
    sdn = (held or {}).get(f"/sdn/zones/localnetwork/{bridge}")
    if lacking and sdn is not None and not {"SDN.Use", "SDN.Audit"} & sdn:
        report.add(
            f"bridge: {bridge}",
            WARN,
            f"{bridge} is not visible to this user: it lacks SDN.Use on "
            f"/sdn/zones/localnetwork/{bridge} (granted by the permissions fixes above)",
        )
    elif lacking:
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
        or _no_lease(op)
    ]
    if not reached:
        report.add("dhcp", OK, "no deploy has reached the network step yet")
        return
    op = reached[0]
    when = op.started_at.strftime("%Y-%m-%d %H:%M UTC")
    if op.status != "succeeded" and (op.step == "network" or _no_lease(op)):
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
    """The template a deploy would use on each node, resolved as the deploy resolves it
    (`templates.py`): a pinned name must be on the node or in its index (builds rotate)."""
    from proximity_tui.services.templates import newest_alpine, resolve_template

    pinned = deploy.template or None
    found = await asyncio.gather(
        *(resolve_template(client, n, pinned) for n in nodes), return_exceptions=True
    )
    refused = [
        (n, r) for n, r in zip(nodes, found, strict=True) if isinstance(r, e.ValidationError)
    ]
    broken = [(n, r) for n, r in zip(nodes, found, strict=True) if isinstance(r, BaseException)]
    if refused:
        fix = "run `pveam update` on the node"
        if pinned:
            with suppress(e.ProximityError):
                index = [a.template for a in await client.appliances(refused[0][0])]
                if newest := newest_alpine(index):
                    fix = f'remove [deploy] template (or set it to "{newest}")'
        where = ", ".join(n for n, _ in refused)
        report.add(
            "template",
            FAIL,
            f"deploys on {where} fail at the template step: {refused[0][1]}",
            fix,
        )
    elif broken:
        node, exc = broken[0]
        report.add("template", WARN, f"cannot read the templates of {node}: {exc}")
    else:
        lines = {f"{c.name} ({c.source})" for c in found if not isinstance(c, BaseException)}
        report.add("template", OK, "; ".join(sorted(lines)) + f" on {', '.join(nodes)}")


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


def _package(rows: list[dict[str, Any]], name: str) -> tuple[str | None, str | None]:
    """(installed, candidate) versions of a package. In `apt/versions` `OldVersion` is the
    installed version and `Version` the candidate (pve-manager `PVE/API2/APT.pm`,
    `$assemble_pkginfo`); a package not installed has no `OldVersion`."""
    for row in rows:
        if isinstance(row, dict) and row.get("Package") == name:
            installed = (
                row.get("OldVersion")
                if row.get("CurrentState", "Installed") == "Installed"
                else None
            )
            return (str(installed) if installed else None), (str(row.get("Version") or "") or None)
    return None, None


async def check_lxc_pve(
    report: Report, client: ProxmoxClient, nodes: list[str], cluster_major: int | None
) -> None:
    for node in nodes:
        report.checks.append((await lxc_pve_state(client, node, cluster_major)).check)


@dataclass(frozen=True)
class LxcPve:
    """The doctor's verdict on one node's lxc-pve, and whether Docker is known to fail there."""

    check: Check
    #: A fixed lxc-pve exists for this release and the node does not have it: Docker with runc
    #: 1.3.3 or later cannot start a container inside a CT. (PVE 7 has no fix: unknown, False.)
    broken: bool = False


async def lxc_pve_state(client: ProxmoxClient, node: str, cluster_major: int | None) -> LxcPve:
    """One node's lxc-pve against the Docker-in-LXC breakage (the doctor's check, also run by
    the operations before they use Docker: `operations/host_check.py`)."""
    name = f"lxc-pve: {node}"
    try:
        rows = await client.request("GET", "nodes", node, "apt", "versions") or []
    except e.ProxmoxPermissionError as exc:
        return LxcPve(
            Check(
                name,
                WARN,
                f"cannot read package versions (needs Sys.Audit on /nodes/{node}): {exc}",
            )
        )
    except e.ProximityError as exc:
        return LxcPve(Check(name, WARN, f"cannot read package versions: {exc}"))
    lxc, candidate = _package(rows, "lxc-pve")
    major = major_of(_package(rows, "pve-manager")[0] or "") or cluster_major
    if not lxc:
        return LxcPve(Check(name, WARN, f"lxc-pve is not installed on {node}"))
    fixed, wanted = lxc_pve_fixed(major, lxc)
    if fixed:
        return LxcPve(
            Check(name, OK, f"lxc-pve {lxc} (Docker inside containers works; fix in {wanted})")
        )
    if fixed is None:
        return LxcPve(
            Check(
                name,
                FAIL,
                f"lxc-pve {lxc} on PVE {major}: no fixed lxc-pve exists for this release; Docker "
                f"with runc 1.3.3 or later fails inside containers: {RUNC_ERROR}",
                "upgrade the node to PVE 8 or 9 and its lxc-pve to the fixed version",
            )
        )
    return LxcPve(
        Check(
            name,
            FAIL,
            f"lxc-pve {lxc} is older than {wanted}: Docker with runc 1.3.3 or later fails "
            f"inside containers with `{RUNC_ERROR}` (opencontainers/runc#4972, moby/moby#51405)",
            f"on {node}: apt update && apt install lxc-pve (>= {wanted}"
            + (f"; the repository offers {candidate}" if candidate and candidate != lxc else "")
            + "), then restart the containers that run Docker",
        ),
        broken=True,
    )


def _no_lease(op: Any) -> bool:
    """A deploy that failed waiting for a lease: its app's CT, or the node's Docker-ready base
    that the first deploy on a node builds (step "template") with the same error."""
    return op.status != "succeeded" and DHCP_SILENCE in (op.error or "")
