"""Parameters of the access-control, pool and package endpoints (a part of `specs.SPECS`), as
the official schema declares them (pve-access-control `src/PVE/API2/{AccessControl,User,Role,
ACL,TokenConfig}.pm`, pve-manager `PVE/API2/Pool.pm`, `PVE/API2/APT.pm`, pve-storage
`src/PVE/API2/Storage/Config.pm`)."""

from __future__ import annotations

from pvesim.params import Param, boolean, integer, required, string

_USERID = required(string(format="pve-userid", max_length=64))
_REALM = r"[A-Za-z][A-Za-z0-9\.\-_]+"
_POOL_MEMBERS = {
    "poolid": required(string(format="pve-poolid")),
    "allow-move": boolean(),
    "comment": string(),
    "delete": boolean(),
    "storage": string(format="pve-storage-id-list"),
    "vms": string(format="pve-vmid-list"),
}
_STORAGE_TYPES = ("btrfs", "cephfs", "cifs", "dir", "esxi", "iscsi", "iscsidirect", "lvm",
                  "lvmthin", "nfs", "pbs", "rbd", "zfs", "zfspool")  # fmt: skip

_TOKEN = {"userid": _USERID, "tokenid": required(string(pattern=_REALM))}
_IFACE_TYPES = (
    "bridge", "bond", "eth", "alias", "vlan", "fabric", "OVSBridge", "OVSBond", "OVSPort",
    "OVSIntPort", "vnet", "any_bridge", "any_local_bridge", "include_sdn",
)  # fmt: skip

ACCESS_SPECS: dict[tuple[str, str], dict[str, Param]] = {
    ("GET", "/access/permissions"): {
        "path": string(),
        "userid": string(pattern=rf"[^\s:/]+@{_REALM}(?:!{_REALM})?"),
    },
    ("GET", "/access/users"): {"enabled": boolean(), "full": boolean()},
    ("POST", "/access/users"): {
        "userid": _USERID,
        "comment": string(max_length=2048),
        "email": string(format="email-opt", max_length=254),
        "enable": boolean(),
        "expire": integer(0),
        "firstname": string(max_length=1024),
        "groups": string(format="pve-groupid-list"),
        "keys": string(pattern=r"[0-9a-zA-Z!=]{0,4096}"),
        "lastname": string(max_length=1024),
        "password": string(min_length=8, max_length=64),
    },
    ("GET", "/access/roles"): {},
    ("POST", "/access/roles"): {
        "roleid": required(string(format="pve-roleid")),
        "privs": string(format="pve-priv-list"),
    },
    ("GET", "/access/acl"): {},
    ("PUT", "/access/acl"): {
        "path": required(string()),
        "roles": required(string(format="pve-roleid-list")),
        "delete": boolean(),
        "groups": string(format="pve-groupid-list"),
        "propagate": boolean(),
        "tokens": string(format="pve-tokenid-list"),
        "users": string(format="pve-userid-list"),
    },
    ("GET", "/access/users/{userid}/token"): {"userid": _USERID},
    ("POST", "/access/users/{userid}/token/{tokenid}"): {
        "userid": _USERID,
        "tokenid": required(string(pattern=_REALM)),
        "comment": string(),
        "expire": integer(0),
        "privsep": boolean(),
    },
    ("GET", "/pools"): {
        "poolid": string(format="pve-poolid"),
        "type": string(enum=("qemu", "lxc", "storage"), requires="poolid"),
    },
    ("POST", "/pools"): {"poolid": required(string(format="pve-poolid")), "comment": string()},
    ("PUT", "/pools"): dict(_POOL_MEMBERS),
    ("GET", "/pools/{poolid}"): {
        "poolid": required(string(format="pve-poolid")),
        "type": string(enum=("qemu", "lxc", "storage")),
    },
    ("PUT", "/pools/{poolid}"): dict(_POOL_MEMBERS),
    ("GET", "/storage"): {"type": string(enum=_STORAGE_TYPES)},
    ("GET", "/nodes/{node}/apt/versions"): {"node": required(string(format="pve-node"))},
    ("GET", "/access/users/{userid}/token/{tokenid}"): _TOKEN,
    ("DELETE", "/access/users/{userid}/token/{tokenid}"): _TOKEN,
    ("DELETE", "/access/users/{userid}"): {"userid": _USERID},
    ("DELETE", "/access/roles/{roleid}"): {"roleid": required(string(format="pve-roleid"))},
    ("DELETE", "/pools/{poolid}"): {"poolid": required(string(format="pve-poolid"))},
    ("DELETE", "/pools"): {"poolid": required(string(format="pve-poolid"))},
    ("GET", "/nodes/{node}/network"): {
        "node": required(string(format="pve-node")),
        "type": string(enum=_IFACE_TYPES),
    },
}
