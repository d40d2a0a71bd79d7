"""The Docker-ready base of a node: a CT template with Docker and compose installed and verified.

The first deploy on a node (or `proximity-tui prepare NODE`) builds it: an Alpine CT from the OS
template the deploy would use, Docker installed and answering, its versions read, stopped and
turned into a Proxmox template (`POST /nodes/{node}/lxc/{vmid}/template`). Later deploys clone it
instead of creating a CT and installing Docker: a linked clone where its storage can make one
(pve-storage `volume_has_feature` offers `clone` on a base volume in LvmThinPlugin.pm,
ZFSPoolPlugin.pm, RBDPlugin.pm and BTRFSPlugin.pm; Plugin.pm's dir/nfs/cifs clone only into
qcow2, which a CT cannot use), a full clone otherwise (pve-container `API2/LXC.pm` clone_vm).

A base is tagged `proximity-base`, never `proximity`: the monitor neither counts it as an app nor
reports it as an orphan, and nothing adopts it. Its description is versioned (no app identity,
no secret): the recipe, the OS template, Alpine, Docker and compose versions and the node's
lxc-pve when it was verified. It is rebuilt when any of these no longer matches: the recipe
changed, the deploy would now use another OS template, or the node's lxc-pve changed (the
doctor's Docker-in-LXC check: Docker in the base was verified under another container runtime).
A base may also carry apps' images (`base_images.py`): their deploys start the app before the
lease.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import ProximityError, ProxmoxError, ValidationError
from proximity_tui.services import base_images
from proximity_tui.services.overlap import in_order

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.services.containers import Containers
    from proximity_tui.services.network import NetworkPlan
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.services.operations.shape import OperationDeps
    from proximity_tui.services.templates import TemplateChoice

BASE_TAG = "proximity-base"
#: Bumped whenever what a base holds changes (the install commands, the checks): older bases
#: are rebuilt. 2: dockerd starts at boot without waiting for the network (`DOCKER_AT_BOOT`).
RECIPE = 2
#: GiB of the base's root disk; a clone grows it to the app's size (`PUT .../resize`).
BASE_DISK_GB = 1
HEADER = "Proximity TUI Docker-ready base: a template deploys clone (not an app)"
#: pve-storage plugins offering `template` on a CT volume (LVMPlugin.pm, thick LVM, does not).
TEMPLATE_TYPES = frozenset({"lvmthin", "zfspool", "rbd", "btrfs", "dir", "nfs", "cifs"})
#: ... and `clone` on a base volume in a format a CT can use (see the module docstring).
LINKED_TYPES = frozenset({"lvmthin", "zfspool", "rbd", "btrfs"})
#: Reads the versions a base records, one per line (Alpine, Docker engine, compose).
VERSIONS = (
    "cat /etc/alpine-release && docker version --format '{{.Server.Version}}' "
    "&& docker compose version --short"
)
#: Alpine's docker init script says `need sysfs cgroups net` (aports community/docker/
#: docker.initd), so a clone's dockerd would start only after the DHCP lease and the deploy
#: would wait for both in turn. dockerd needs no network to start (only a pull does, and the
#: deploy pulls after the lease): `rc_need="!net"` in its conf.d drops that need (OpenRC
#: rc-functions.sh `_depend`, librc-depend.c "Remove our dependency if instructed"), and the
#: daemon starts while the lease comes.
DOCKER_AT_BOOT = "echo 'rc_need=\"!net\"' >> /etc/conf.d/docker"
_LINE = re.compile(r"^([a-z][a-z-]*): (.*)$")


@dataclass(frozen=True)
class Base:
    """One base CT found on a node, with what its description records."""

    vmid: int
    node: str
    template: bool
    facts: dict[str, str] = field(default_factory=dict)
    storage: str = ""
    size_gb: float = 0.0

    @property
    def recipe(self) -> int | None:
        value = self.facts.get("proximity-base", "")
        return int(value) if value.isdigit() else None

    @property
    def images(self) -> tuple[str, ...]:
        return base_images.carried(self)

    def summary(self) -> str:
        f = self.facts
        carries = f", carries {', '.join(self.images)}" if self.images else ""
        return (
            f"CT {self.vmid} on {self.node}: Alpine {f.get('alpine', '?')}, "
            f"Docker {f.get('docker', '?')}, compose {f.get('compose', '?')} "
            f"(recipe {f.get('proximity-base', '?')}, lxc-pve {f.get('lxc-pve', '?')}){carries}"
        )

    def outdated(self, os_template: str, lxc_pve: str | None) -> list[str]:
        """Why this base must not be cloned any more (empty: it is current)."""
        reasons = []
        if not self.template:
            reasons.append("it is not a template (a build that did not finish)")
        if self.recipe != RECIPE:
            reasons.append(f"recipe {self.recipe} is not the current {RECIPE}")
        if self.facts.get("os-template") != os_template:
            reasons.append(f"built from {self.facts.get('os-template')}, deploys use {os_template}")
        if lxc_pve and self.facts.get("lxc-pve") not in (None, "", "unknown", lxc_pve):
            reasons.append(
                f"verified under lxc-pve {self.facts.get('lxc-pve')}, the node has {lxc_pve}"
            )
        return reasons


def description(facts: dict[str, str]) -> str:
    """The base's CT description: the header and `key: value` lines (no app id, no secret)."""
    lines = [HEADER, f"proximity-base: {RECIPE}"]
    lines += [f"{k}: {v}" for k, v in facts.items() if k != "proximity-base"]
    return "\n".join(lines) + "\n"


def parse_description(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


async def find_bases(client: ProxmoxClient, node: str | None = None) -> list[Base]:
    """Every CT tagged `proximity-base` (on `node`, or anywhere), its description read."""
    found = []
    for guest in await client.cluster_resources():
        if guest.type != "lxc" or BASE_TAG not in guest.tags:
            continue
        if node is not None and guest.node != node:
            continue
        try:
            config = await client.ct_config(guest.node, guest.vmid)
        except ProxmoxError:
            continue  # destroyed meanwhile
        size = _size_gb(config.rootfs)
        found.append(
            Base(
                guest.vmid,
                guest.node,
                guest.template or bool(config.raw.get("template")),
                parse_description(config.description),
                config.rootfs_storage or "",
                size,
            )
        )
    return sorted(found, key=lambda b: (b.node, -b.vmid))


async def node_lxc_pve(client: ProxmoxClient, node: str) -> str | None:
    """The node's installed lxc-pve (`GET /nodes/{n}/apt/versions`), None when unreadable."""
    try:
        rows = await client.request("GET", "nodes", node, "apt", "versions") or []
    except ProximityError:
        return None
    for row in rows:
        if isinstance(row, dict) and row.get("Package") == "lxc-pve":
            return str(row.get("OldVersion") or row.get("Version") or "") or None
    return None


#: One lock per (event loop, node): two deploys on a node build its base once.
_locks: weakref.WeakKeyDictionary[Any, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


async def _ready(choice: TemplateChoice | Awaitable[TemplateChoice]) -> TemplateChoice:
    return await choice if inspect.isawaitable(choice) else choice


def node_lock(node: str) -> asyncio.Lock:
    per_loop = _locks.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(node, asyncio.Lock())


async def ensure(
    deps: OperationDeps,
    ctx: OperationContext,
    node: str,
    storage: str,
    choice: TemplateChoice | Awaitable[TemplateChoice],
    net: NetworkPlan,
    *,
    rebuild: bool = False,
    images: tuple[str, ...] = (),
) -> tuple[Base | None, str]:
    """The node's current base (built now if it has none, lacks one of `images`, or
    `rebuild`), and the OS template's volume when it had to be made sure of. (None, volume):
    the storage cannot hold a template, deploy the old way. Two operations on a node wait for
    one build. `choice` may still be being resolved: the node's bases are read meanwhile. A
    new base carries `images` and what the node's newest base carried."""
    lock = node_lock(node)
    if lock.locked():  # another operation holds the node (a build takes minutes): a template
        choice = await _ready(choice)  # that cannot be resolved fails now, not after it
    async with lock:
        found = await in_order(_ready(choice), survey(deps, node))
        chosen: TemplateChoice = found[0]
        lxc_pve, bases = found[1]
        base, outdated = judge(ctx, bases, chosen.name, lxc_pve)
        missing = [ref for ref in images if base is None or ref not in base.images]
        if base is not None and not rebuild and not missing:
            ctx.log(f"Docker-ready base: {base.summary()}")
            return base, ""
        if base is not None:
            if missing:
                ctx.log(f"base CT {base.vmid} does not carry {', '.join(missing)}: rebuilding")
            outdated.append(base)
        # The newest base (bases are sorted newest first per node) says what to carry on.
        carry = tuple(dict.fromkeys([*images, *(bases[0].images if bases else ())]))
        volid = await os_template_volid(deps, ctx, node, chosen)
        if not await can_template(deps, ctx, node, storage):
            return None, volid
        base = await build(deps, ctx, node, storage, chosen.name, volid, net, carry)
        await retire(deps, ctx, outdated)
        return base, volid


async def os_template_volid(
    deps: OperationDeps, ctx: OperationContext, node: str, choice: TemplateChoice
) -> str:
    """The OS template's volume on `node`, downloaded first when it is not there."""
    if choice.volid is not None:
        ctx.log(choice.describe(node))
        return choice.volid
    storage = deps.settings.template_storage
    accepting = [s.storage for s in await deps.client.storages_accepting(node, "vztmpl")]
    if storage not in accepting:
        if not accepting:
            raise ValidationError(f"node {node} has no storage for templates")
        storage = accepting[0]
    ctx.log(f"downloading {choice.name} ({choice.source}) to {storage} on {node}")
    await deps.containers.task(ctx, await deps.client.download_template(node, storage, choice.name))
    return f"{storage}:vztmpl/{choice.name}"


async def can_template(deps: OperationDeps, ctx: OperationContext, node: str, storage: str) -> bool:
    types = {s.storage: s.type for s in await deps.client.storages(node)}
    kind = types.get(storage, "")
    if kind in TEMPLATE_TYPES:
        return True
    ctx.log(
        f"{storage} ({kind or 'type unknown'}) cannot hold a CT template: deploying without a "
        "Docker-ready base",
        level="warning",
    )
    return False


async def survey(deps: OperationDeps, node: str) -> tuple[str | None, list[Base]]:
    """The node's lxc-pve and its bases, read at once (neither needs the other)."""
    lxc_pve, bases = await in_order(node_lxc_pve(deps.client, node), find_bases(deps.client, node))
    return lxc_pve, bases


def judge(
    ctx: OperationContext, bases: list[Base], os_template: str, lxc_pve: str | None
) -> tuple[Base | None, list[Base]]:
    """The newest current base among `bases`, and the outdated ones (each named in the log)."""
    current, outdated = None, []
    for base in bases:
        reasons = base.outdated(os_template, lxc_pve)
        if not reasons and current is None:
            current = base
        elif reasons:
            outdated.append(base)
            ctx.log(f"base CT {base.vmid} is outdated: {'; '.join(reasons)}")
    return current, outdated


async def retire(deps: OperationDeps, ctx: OperationContext, bases: list[Base]) -> None:
    """Destroy outdated bases once a new one exists. Storages that track linked clones refuse
    to free a base still used by one (pve-storage `Storage.pm` vdisk_free: "base volume ... is
    still in use by linked clones"; LVM-thin allows it): such a base stays, and is said so."""
    for base in bases:
        try:
            await deps.containers.destroy(ctx, base.node, base.vmid)
            ctx.log(f"removed the outdated base CT {base.vmid}")
        except ProximityError as exc:
            ctx.log(f"outdated base CT {base.vmid} kept: {exc}", level="warning")


async def build(
    deps: OperationDeps,
    ctx: OperationContext,
    node: str,
    storage: str,
    os_template: str,
    template_volid: str,
    net: NetworkPlan,
    images: tuple[str, ...] = (),
) -> Base:
    """Build a base on `node` (see the module docstring), carrying `images`; on failure its
    CT is destroyed."""
    client, containers = deps.client, deps.containers
    keyctl_by_api = client.auth_kind == "ticket" and deps.api_user == "root@pam"
    vmid = await _free_vmid(deps)
    disk = base_images.disk_gb(images, BASE_DISK_GB)
    ctx.log(f"building the Docker-ready base of {node}: CT {vmid} from {os_template}")
    # Saved first: a crash from here on leaves a CT crash recovery removes (recovery.py).
    await ctx.save_state(base_vmid=vmid, base_node=node)
    try:
        upid = await client.create_ct(
            node,
            vmid=vmid,
            ostemplate=template_volid,
            hostname=f"proximity-base-{node}",
            cores=1,
            memory=512,
            swap=512,
            rootfs=f"{storage}:{disk}",
            net0=net.net0(),
            nameserver=net.dns,
            features="nesting=1,keyctl=1" if keyctl_by_api else "nesting=1",
            unprivileged=True,
            tags=None if deps.settings.pool else BASE_TAG,
            pool=deps.settings.pool,
            description=description({"state": "building"}),
        )
        await containers.task(ctx, upid)
        if not keyctl_by_api or deps.settings.pool:
            # keyctl only as root@pam (and a pool-only token's tags), as the deploy does.
            extra = ["-tags", BASE_TAG] if deps.settings.pool else []
            await deps.exec.pct(node, "set", str(vmid), "-features", "nesting=1,keyctl=1", *extra)
        await containers.start(ctx, node, vmid)
        await containers.wait_network(ctx, node, vmid, net, deps.settings.dhcp_timeout)
        await containers.install_docker(ctx, node, vmid)
        await containers.sh(ctx, node, vmid, DOCKER_AT_BOOT, quiet=True)
        carried: dict[str, str] = {}
        if images:
            await base_images.pull(containers, ctx, node, vmid, images)
            carried = {"images": " ".join(images), "images-pulled": _now_iso()}
        facts = await _versions(containers, ctx, node, vmid)
        facts = {
            "os-template": os_template,
            **facts,
            "lxc-pve": await node_lxc_pve(client, node) or "unknown",
            **carried,
        }
        await containers.stop(ctx, node, vmid)
        await client.set_ct_config(node, vmid, description=description(facts))
        await _to_template(client, containers, ctx, node, vmid)
    except BaseException:
        await asyncio.shield(_discard(containers, ctx, node, vmid))
        raise
    base = Base(vmid, node, True, {"proximity-base": str(RECIPE), **facts}, storage, disk)
    ctx.log(f"base ready: {base.summary()}")
    return base


async def _versions(
    containers: Containers, ctx: OperationContext, node: str, vmid: int
) -> dict[str, str]:
    result = await containers.sh(ctx, node, vmid, VERSIONS, quiet=True)
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()] + ["?"] * 3
    return {"alpine": lines[0], "docker": lines[1], "compose": lines[2].lstrip("v")}


async def _to_template(
    client: ProxmoxClient, containers: Containers, ctx: OperationContext, node: str, vmid: int
) -> None:
    """`POST .../template` answers null and forks a `vztemplate` worker (API2/LXC.pm template):
    done when the config says `template: 1`; failed when that worker stopped with an error."""

    async def workers() -> list[dict[str, Any]]:
        rows = await client.request(
            "GET", "nodes", node, "tasks", vmid=vmid, typefilter="vztemplate", source="all"
        )
        return [t for t in rows or [] if isinstance(t, dict)]

    before = {t.get("upid") for t in await workers()}  # an earlier CT with this vmid had some
    await client.template_ct(node, vmid)

    async def done() -> bool | None:
        if (await client.ct_config(node, vmid)).raw.get("template"):
            return True
        ours = [t for t in await workers() if t.get("upid") not in before]
        failed = [t for t in ours if t.get("status") not in (None, "running", "OK")]
        if failed:
            raise ProxmoxError(f"turning CT {vmid} into a template failed: {failed[0]['status']}")
        return None

    what = f"turning CT {vmid} into a template did not finish"
    waiting = f"waiting for CT {vmid} to become a template"
    await containers.until(ctx, done, containers.task_timeout, what, waiting=waiting)
    ctx.log(f"CT {vmid} is now a template")


async def _discard(containers: Containers, ctx: OperationContext, node: str, vmid: int) -> None:
    try:
        if await containers.status(node, vmid) is not None:
            await containers.destroy(ctx, node, vmid)
            ctx.log(f"destroyed the unfinished base CT {vmid}")
    except ProximityError as exc:
        ctx.log(f"could not destroy the unfinished base CT {vmid}: {exc}", level="warning")


async def _free_vmid(deps: OperationDeps) -> int:
    from proximity_tui.services.operations.vmids import free_vmid_after

    return await free_vmid_after(deps.client, deps.records, await deps.client.next_vmid() - 1)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _size_gb(rootfs: str) -> float:
    m = re.search(r"(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)", rootfs)
    if not m:
        return 0.0
    scale = {"": 1 / 1024**3, "K": 1 / 1024**2, "M": 1 / 1024, "G": 1, "T": 1024}[m.group(2)]
    return float(m.group(1)) * scale
