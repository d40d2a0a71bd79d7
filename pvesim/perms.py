"""The privilege checks of the container and storage endpoints, as the API makes them (the
shared operations do not check: `pct` on a node runs as root).

Sources: pve-container `src/PVE/API2/LXC.pm` (create_vm, clone_vm), `src/PVE/LXC.pm`
(check_ct_modify_config_perm, check_bridge_access), pve-guest-common `src/PVE/GuestHelpers.pm`
(check_vnet_access), pve-storage `src/PVE/Storage.pm` (check_volume_access).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pvesim.acl import perm_denied
from pvesim.ctconfig import mountpoint_volume
from pvesim.errors import PveError
from pvesim.router import Ctx

#: API2/LXC/Config.pm update_vm: one of these on /vms/{vmid} lets the call in at all.
VM_CONFIG_PRIVS = (
    "VM.Config.Disk",
    "VM.Config.CPU",
    "VM.Config.Memory",
    "VM.Config.Network",
    "VM.Config.Options",
)
#: Parameters create_vm extracts before check_ct_modify_config_perm looks at the rest.
_NOT_OPTIONS = {
    "node", "vmid", "ostemplate", "storage", "pool", "password", "ssh-public-keys", "force",
    "restore", "unique", "start", "unprivileged", "ha-managed", "ignore-unpack-errors", "bwlimit",
}  # fmt: skip
#: LXC.pm: a new volume is `STORAGE:SIZE` ($NEW_DISK_RE).
_NEW_DISK = re.compile(r"([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(\.\d+)?)", re.I)
#: check_bridge_access (and with it SDN.Use on the bridge) came with PVE 8.
BRIDGE_CHECK_SINCE = 8


def is_root(ctx: Ctx) -> bool:
    return ctx.user == "root@pam"


def check_pool_exists(ctx: Ctx, pool: str | None) -> None:
    """RPCEnvironment.pm check_pool_exist: a 403, not a 500."""
    if pool is not None and pool not in ctx.state.access.pools:
        raise perm_denied(f"pool '{pool}' does not exist")


def check_vm_allocate(ctx: Ctx, vmid: int, pool: str | None) -> None:
    """create_vm / clone_vm: VM.Allocate on the new guest, or on the pool it goes into."""
    if ctx.allowed(f"/vms/{vmid}", "VM.Allocate"):
        return
    if pool and ctx.allowed(f"/pool/{pool}", "VM.Allocate"):
        return
    raise perm_denied(f"/vms/{vmid}, VM.Allocate")


def check_bridge(ctx: Ctx, net: str | None) -> None:
    """LXC.pm check_bridge_access -> GuestHelpers.pm check_vnet_access: SDN.Use on
    /sdn/zones/localnetwork/<bridge> (or /<bridge>/<tag> for a VLAN tag), root@pam exempt."""
    if not net or is_root(ctx) or ctx.state.release.major < BRIDGE_CHECK_SINCE:
        return
    opts = dict(p.split("=", 1) for p in str(net).split(",") if "=" in p)
    bridge = opts.get("bridge")
    if bridge is None:
        return
    path = f"/sdn/zones/localnetwork/{bridge}"
    if opts.get("tag"):
        path += f"/{opts['tag']}"
    ctx.check(path, "SDN.Use")


def check_volume_access(ctx: Ctx, volid: str, kind: str | None, vmid: int | None = None) -> None:
    """Storage.pm check_volume_access: Datastore.Allocate covers all; templates need read
    access to the storage, a backup VM.Backup on its guest, a disk VM.Config.Disk."""
    sid, _, name = volid.partition(":")
    owner = _owner(name)
    vtype = name.split("/", 1)[0] if "/" in name and name.split("/", 1)[0] in (
        "vztmpl", "iso", "backup", "import"
    ) else "rootdir"  # fmt: skip
    if kind is not None and vtype != kind and not (kind == "rootdir" and vtype == "images"):
        raise PveError(500, f"unable to use volume {volid} - content type needs to be '{kind}'")
    if ctx.allowed(f"/storage/{sid}", "Datastore.Allocate"):
        return
    if vtype in ("iso", "vztmpl", "import"):
        ctx.check(f"/storage/{sid}", "Datastore.AllocateSpace", "Datastore.Audit", any_=True)
    elif owner is not None and vmid is not None and owner == vmid:
        return
    elif vtype == "backup" and owner is not None:
        ctx.check(f"/storage/{sid}", "Datastore.AllocateSpace")
        ctx.check(f"/vms/{owner}", "VM.Backup")
    elif owner is not None:
        ctx.check(f"/storage/{sid}", "Datastore.Audit")
        ctx.check(f"/vms/{owner}", "VM.Config.Disk")
    else:
        raise PveError(500, f"missing privileges to access {volid}")


def may_see_volume(ctx: Ctx, volid: str) -> bool:
    try:
        check_volume_access(ctx, volid, None)
    except PveError:
        return False
    return True


def _owner(name: str) -> int | None:
    match = re.search(r"(?:vzdump-(?:lxc|qemu)-|vm-|base-|subvol-)(\d+)", name)
    return int(match.group(1)) if match else None


def check_config_options(
    ctx: Ctx,
    vmid: int,
    pool: str | None,
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    delete: Iterable[str] = (),
) -> None:
    """LXC.pm check_ct_modify_config_perm (root@pam passes): each option's privilege."""
    if is_root(ctx):
        return
    access = ctx.state.access
    old = old or {}
    for opt, deleting in [(o, False) for o in new] + [(o, True) for o in delete]:
        if opt in ("cores", "cpuunits", "cpulimit"):
            access.check_vm(ctx.user, vmid, pool, ("VM.Config.CPU",))
        elif opt == "rootfs" or re.fullmatch(r"mp\d+", opt):
            access.check_vm(ctx.user, vmid, pool, ("VM.Config.Disk",))
            if deleting:
                continue
            volume = mountpoint_volume(str(new[opt]))
            match = _NEW_DISK.fullmatch(volume)
            if match:
                ctx.check(f"/storage/{match.group(1)}", "Datastore.AllocateSpace")
            else:
                check_volume_access(ctx, volume, "rootdir", vmid)
        elif opt in ("memory", "swap"):
            access.check_vm(ctx.user, vmid, pool, ("VM.Config.Memory",))
        elif re.fullmatch(r"net\d+", opt):
            access.check_vm(ctx.user, vmid, pool, ("VM.Config.Network",))
            check_bridge(ctx, old.get(opt))
            if not deleting:
                check_bridge(ctx, new[opt])
        elif re.fullmatch(r"dev\d+", opt):
            raise perm_denied("configuring device passthrough is only allowed for root@pam")
        elif opt in ("nameserver", "searchdomain", "hostname"):
            access.check_vm(ctx.user, vmid, pool, ("VM.Config.Network",))
        elif opt == "features":
            # the root-only flags are refused by ops_base.check_feature_permission; what is
            # left is nesting, which needs VM.Allocate
            access.check_vm(ctx.user, vmid, pool, ("VM.Allocate",))
        elif opt == "hookscript":
            raise perm_denied("changing the hookscript is only allowed for root@pam")
        elif opt == "tags":
            # GuestHelpers.pm assert_tag_permissions: check_vm_perm with no pool, so at create
            # the new id (not yet a pool member) needs VM.Config.Options on /vms/{vmid} itself;
            # tags are free-form by default (datacenter.cfg user-tag-access)
            access.check_vm(ctx.user, vmid, None, ("VM.Config.Options",))
        else:
            access.check_vm(ctx.user, vmid, pool, ("VM.Config.Options",))


def check_create(ctx: Ctx, params: Mapping[str, Any]) -> None:
    """API2/LXC.pm create_vm, up to the task: the pool, VM.Allocate, privileged CTs need
    Sys.Modify, every option's privilege, the template or backup, and the storage."""
    vmid = int(params["vmid"])
    pool = params.get("pool")
    restore = bool(params.get("restore"))
    check_pool_exists(ctx, pool)
    if not restore and params.get("unprivileged") == 0:
        ctx.check("/", "Sys.Modify")
    if params.get("ha-managed"):
        ctx.check("/", "Sys.Console")
    check_vm_allocate(ctx, vmid, pool)
    options = {k: v for k, v in params.items() if k not in _NOT_OPTIONS}
    sid = params.get("storage") or "local"
    rootfs = str(options.get("rootfs") or "")
    if re.fullmatch(r"\d+(\.\d+)?", rootfs):
        options["rootfs"] = f"{sid}:{rootfs}"
    elif not rootfs:
        ctx.check(f"/storage/{sid}", "Datastore.AllocateSpace")
    check_config_options(ctx, vmid, pool, options, None)
    if not is_root(ctx):
        check_volume_access(ctx, params["ostemplate"], "backup" if restore else "vztmpl", vmid)
