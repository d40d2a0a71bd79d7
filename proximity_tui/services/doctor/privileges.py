"""What the product needs from Proxmox's permission system, derived from the calls it makes.

Each privilege below is checked by Proxmox on an endpoint we call (the `permissions` of each
method in the API schema, pve-docs `api-viewer/apidata.js`, and the code that runs them):

- `VM.Allocate`: create a CT (`POST /nodes/{n}/lxc`, on `/vms/{vmid}` or `/pool/{pool}`,
  pve-container `src/PVE/API2/LXC.pm`), destroy it, the clone's new id, and `nesting=1` in
  `features` (`check_ct_modify_config_perm`, pve-container `src/PVE/LXC.pm`).
- `VM.Audit`: `status/current`, `config`, `interfaces`, `snapshot` (list), `rrddata`, and
  `/cluster/resources` shows only guests the caller may audit (pve-manager `PVE/API2/Cluster.pm`).
- `VM.PowerMgmt`: `status/start|stop|shutdown`.
- `VM.Config.CPU|Memory|Disk|Network|Options`: `cores`, `memory`/`swap`, `rootfs`,
  `net0`/`hostname`, everything else (`description`, `onboot`, `tags`, `unprivileged`) at create
  and on `PUT .../config` (`check_ct_modify_config_perm`, pve-container `src/PVE/LXC.pm`; the
  PUT itself, `src/PVE/API2/LXC/Config.pm`, asks any of them and lets that function decide).
  Update, restore and migrate write `description` (the identity block): VM.Config.Options.
- `VM.Snapshot`: create, delete and roll back snapshots (update, clone of a running CT).
- `VM.Backup`: `vzdump`, and restore over the same CT (`API2/LXC.pm` create with `restore`).
- `VM.Clone`: `POST .../clone` on the source.
- `Datastore.AllocateSpace`: a CT disk on the storage (`rootfs=STORAGE:GiB`) and backups on the
  backup storage; `Datastore.Audit`: list a storage's content (templates, backups) and see it in
  `/nodes/{n}/storage`; `Datastore.AllocateTemplate`: download a template (`POST aplinfo`).
- `Sys.Audit` on `/nodes`: a node's memory in `/nodes` (pve-manager `PVE/API2/Nodes.pm`),
  `/nodes/{n}/status`, `apt/versions`, and task status/logs of tasks we did not start.
- `SDN.Use` on `/sdn/zones/localnetwork/<bridge>` (PVE 8 and later): attach a NIC to a bridge
  (`check_vnet_access`, pve-guest-common `src/PVE/GuestHelpers.pm`).
- `Pool.Audit` on the pool: read its members (the doctor lists them).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

#: The VM privileges, needed on `/pool/<pool>` (CTs in the pool inherit it: pve-access-control
#: `src/PVE/RPCEnvironment.pm` applies pool ACLs to `/vms/<id>` of its members) or on `/vms`.
VM_PRIVS = (
    "VM.Allocate",
    "VM.Audit",
    "VM.PowerMgmt",
    "VM.Config.CPU",
    "VM.Config.Memory",
    "VM.Config.Disk",
    "VM.Config.Network",
    "VM.Config.Options",
    "VM.Snapshot",
    "VM.Backup",
    "VM.Clone",
)
DATASTORE_PRIVS = ("Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit")
#: SDN.Use exists from PVE 8 on (pve-access-control 8.0): a PVE 7 role refuses it.
SDN_PRIV = "SDN.Use"


def role_privileges(pve_major: int | None = None) -> tuple[str, ...]:
    """The privileges of the role `setup` creates: nothing more than the calls need."""
    privs = [*VM_PRIVS, *DATASTORE_PRIVS, "Sys.Audit", "Pool.Audit"]
    if pve_major is None or pve_major >= 8:
        privs.append(SDN_PRIV)
    return tuple(privs)


@dataclass(frozen=True)
class Need:
    """Privileges one feature needs on one ACL path."""

    feature: str
    path: str
    privs: tuple[str, ...]


def vm_path(pool: str | None) -> str:
    return f"/pool/{pool}" if pool else "/vms"


def needs(
    *,
    pool: str | None,
    rootdir_storage: str,
    template_storage: str,
    backup_storage: str | None,
    bridge: str,
    pve_major: int | None,
) -> list[Need]:
    """Every (feature, path, privileges) the product checks before it relies on them."""
    vms = vm_path(pool)
    backup_store = (f"/storage/{backup_storage}",) if backup_storage else ()
    out = [
        Need("monitor", vms, ("VM.Audit",)),
        Need("monitor", "/nodes", ("Sys.Audit",)),
        Need(
            "deploy",
            vms,
            (
                "VM.Allocate",
                "VM.Config.CPU",
                "VM.Config.Memory",
                "VM.Config.Disk",
                "VM.Config.Network",
                "VM.Config.Options",
                "VM.PowerMgmt",
            ),
        ),
        Need("deploy", f"/storage/{rootdir_storage}", ("Datastore.AllocateSpace",)),
        Need(
            "deploy",
            f"/storage/{template_storage}",
            ("Datastore.AllocateTemplate", "Datastore.Audit"),
        ),
        Need("start/stop", vms, ("VM.PowerMgmt",)),
        # DELETE .../lxc/{vmid} (VM.Allocate) after stopping the CT.
        Need("delete", vms, ("VM.Allocate", "VM.PowerMgmt")),
        # A rollback point (snapshot), then the identity block rewritten in `description`
        # (PUT .../config: VM.Config.Options, check_ct_modify_config_perm).
        Need("update", vms, ("VM.Snapshot", "VM.Config.Options", "VM.PowerMgmt")),
        # The clone call checks only VM.Clone and VM.Allocate (its description and hostname
        # ride along); the copy's net0 is then set (VM.Config.Network) and it is started.
        Need(
            "clone",
            vms,
            ("VM.Clone", "VM.Allocate", "VM.Snapshot", "VM.Config.Network", "VM.PowerMgmt"),
        ),
        Need("backup", vms, ("VM.Backup",)),
        *(Need("backup", p, ("Datastore.AllocateSpace", "Datastore.Audit")) for p in backup_store),
        # Over the existing CT VM.Backup is enough for the create call (LXC.pm create_vm); the
        # CT is stopped and started, and the block rewritten in `description`.
        Need("restore", vms, ("VM.Backup", "VM.Config.Options", "VM.PowerMgmt")),
        Need("restore", f"/storage/{rootdir_storage}", ("Datastore.AllocateSpace",)),
        *(Need("restore", p, ("Datastore.Audit",)) for p in backup_store),
        # v1 apps get their identity block at migration (PUT .../config description).
        Need("migrate", vms, ("VM.Config.Options",)),
    ]
    if pool:
        out.append(Need("monitor", f"/pool/{pool}", ("Pool.Audit",)))
    if pve_major is None or pve_major >= 8:
        out.append(Need("deploy", f"/sdn/zones/localnetwork/{bridge}", (SDN_PRIV,)))
    return out


def grant_paths(
    *, pool: str, storages: Iterable[str], bridge: str, pve_major: int | None
) -> list[str]:
    """Where `setup` grants its role: the pool, each storage used, the nodes, the bridge."""
    paths = [f"/pool/{pool}"]
    paths += [f"/storage/{s}" for s in dict.fromkeys(storages) if s]
    paths.append("/nodes")
    if pve_major is None or pve_major >= 8:
        paths.append(f"/sdn/zones/localnetwork/{bridge}")
    return paths


def principal_args(user: str, token_name: str | None) -> list[str]:
    """`--users U` for a password login; a token gets both `--users` and `--tokens`: a token
    with privilege separation holds only what both it and its user hold (pve-access-control
    `src/PVE/RPCEnvironment.pm`), and granting the user too is harmless when it has no privsep."""
    if token_name:
        token = ["--tokens", f"{user}!{token_name}"]
        return token if user == "root@pam" else ["--users", user, *token]  # root has all
    return ["--users", user]


def pveum_acl(path: str, role: str, user: str, token_name: str | None) -> str:
    return shlex.join(
        ["pveum", "acl", "modify", path, "--roles", role, *principal_args(user, token_name)]
    )


def pveum_role_add(role: str, privs: Iterable[str]) -> str:
    return shlex.join(["pveum", "role", "add", role, "--privs", ",".join(privs)])
