"""The parameters each simulated endpoint accepts: our own declarations of PVE's API.

They mirror the official schema (a conformance test holds them against it): names, types,
required ones, ranges, enums, lengths and formats. `node`, `vmid`, `storage`, `upid` and
`snapname` come from the path and are verified like any other parameter, as PVE does.
"""

from __future__ import annotations

from types import MappingProxyType

from pvesim.params import Param, boolean, integer, number, required, string
from pvesim.specs_access import ACCESS_SPECS

NODE = required(string(format="pve-node"))
VMID = required(integer(100, 999999999, format="pve-vmid"))
STORAGE_ID = string(format="pve-storage-id")
SNAPNAME = required(string(format="pve-configid", max_length=40))
UPID = required(string())

_MOUNT_OPTION = "(discard|lazytime|noatime|nodev|noexec|nosuid)"
_MOUNT_OPTIONS = rf"{_MOUNT_OPTION}(;{_MOUNT_OPTION})*"

FEATURES = MappingProxyType(
    {
        "force_rw_sys": boolean(),
        "fuse": boolean(),
        "keyctl": boolean(),
        "mknod": boolean(),
        "mount": string(pattern=r"[a-zA-Z0-9_; ]+"),
        "nesting": boolean(),
    }
)

NET = MappingProxyType(
    {
        "bridge": string(pattern=r"[-_.\w\d]+"),
        "firewall": boolean(),
        "gw": string(format="ipv4"),
        "gw6": string(format="ipv6"),
        "host-managed": boolean(),
        "hwaddr": string(format="mac-addr"),
        "ip": string(format="pve-ipv4-config"),
        "ip6": string(format="pve-ipv6-config"),
        "link_down": boolean(),
        "mtu": integer(64, 65535),
        "name": required(string(pattern=r"[-_.\w\d]+")),
        "rate": number(),
        "tag": integer(1, 4094),
        "trunks": string(pattern=r"\d+(?:;\d+)*"),
        "type": string(enum=("veth",)),
    }
)

_MOUNT_COMMON = {
    "acl": boolean(),
    "mountoptions": string(pattern=_MOUNT_OPTIONS),
    "quota": boolean(),
    "replicate": boolean(),
    "ro": boolean(),
    "shared": boolean(),
    "size": string(format="disk-size"),
    "volume": required(string(format="pve-lxc-mp-string", default_key=True)),
}
ROOTFS = MappingProxyType(dict(_MOUNT_COMMON))
MOUNTPOINT = MappingProxyType(
    {
        **_MOUNT_COMMON,
        "backup": boolean(),
        "keepattrs": boolean(),
        "mp": required(string(format="pve-lxc-mp-string")),
    }
)
DEVICE = MappingProxyType(
    {
        "deny-write": boolean(),
        "gid": integer(0),
        "mode": string(pattern=r"0[0-7]{3}"),
        "path": string(format="pve-lxc-dev-string", default_key=True),
        "uid": integer(0),
    }
)
UNUSED = MappingProxyType({"volume": required(string(format="pve-volume-id", default_key=True))})

#: Options of a container's configuration (create and `PUT .../config` share them).
CT_OPTIONS: dict[str, Param] = {
    "arch": string(enum=("amd64", "i386", "arm64", "armhf", "riscv32", "riscv64")),
    "cmode": string(enum=("shell", "console", "tty")),
    "console": boolean(),
    "cores": integer(1, 8192),
    "cpulimit": number(0, 8192),
    "cpuunits": integer(0, 500000),
    "debug": boolean(),
    "description": string(max_length=8192),
    "dev[n]": string(format=DEVICE, max_index=255),
    "entrypoint": string(pattern=r"[^\x00-\x08\x10-\x1F\x7F]+"),
    "env": string(
        pattern=r"(?:\w+=[^\x00-\x08\x10-\x1F\x7F]*)(?:\0\w+=[^\x00-\x08\x10-\x1F\x7F]*)*"
    ),
    "features": string(format=FEATURES),
    "hookscript": string(format="pve-volume-id"),
    "hostname": string(format="dns-name", max_length=255),
    "lock": string(
        enum=(
            "backup",
            "create",
            "destroyed",
            "disk",
            "fstrim",
            "migrate",
            "mounted",
            "rollback",
            "snapshot",
            "snapshot-delete",
        )
    ),
    "memory": integer(16),
    "mp[n]": string(format=MOUNTPOINT, max_index=255),
    "nameserver": string(format="lxc-ip-with-ll-iface-list"),
    "net[n]": string(format=NET, max_index=31),
    "onboot": boolean(),
    "ostype": string(
        enum=(
            "debian",
            "devuan",
            "ubuntu",
            "centos",
            "fedora",
            "opensuse",
            "archlinux",
            "alpine",
            "gentoo",
            "nixos",
            "unmanaged",
        )
    ),
    "protection": boolean(),
    "rootfs": string(format=ROOTFS),
    "searchdomain": string(format="dns-name-list"),
    "startup": string(format="pve-startup-order"),
    "swap": integer(0),
    "tags": string(format="pve-tag-list"),
    "template": boolean(),
    "timezone": string(format="pve-ct-timezone"),
    "tty": integer(0, 6),
    "unprivileged": boolean(),
    "unused[n]": string(format=UNUSED, max_index=255),
}

CT_CREATE: dict[str, Param] = {
    **CT_OPTIONS,
    "node": NODE,
    "vmid": VMID,
    "bwlimit": number(0),
    "force": boolean(),
    "ha-managed": boolean(),
    "ignore-unpack-errors": boolean(),
    "ostemplate": required(string(max_length=255)),
    "password": string(min_length=5),
    "pool": string(format="pve-poolid"),
    "restore": boolean(),
    "ssh-public-keys": string(),
    "start": boolean(),
    "storage": STORAGE_ID,
    "unique": boolean(requires="restore"),
}

CT_UPDATE: dict[str, Param] = {
    **CT_OPTIONS,
    "node": NODE,
    "vmid": VMID,
    "delete": string(format="pve-configid-list"),
    "digest": string(max_length=40),
    "revert": string(format="pve-configid-list"),
}

VZDUMP: dict[str, Param] = {
    # optional upstream ("only run if executed on this node"); always there in our path
    "node": string(format="pve-node"),
    "all": boolean(),
    "bwlimit": integer(0),
    "compress": string(enum=("0", "1", "gzip", "lzo", "zstd")),
    "dumpdir": string(),
    "exclude": string(format="pve-vmid-list"),
    "exclude-path": Param("array"),
    "fleecing": string(format="backup-fleecing"),
    "ionice": integer(0, 8),
    "job-id": string(max_length=50, pattern=r"\S+"),
    "lockwait": integer(0),
    "mailnotification": string(enum=("always", "failure")),
    "mailto": string(format="email-or-username-list"),
    "maxfiles": integer(1),
    "mode": string(enum=("snapshot", "suspend", "stop")),
    "notes-template": string(max_length=1024, requires="storage"),
    "notification-mode": string(enum=("auto", "legacy-sendmail", "notification-system")),
    "pbs-change-detection-mode": string(enum=("legacy", "data", "metadata")),
    "performance": string(format="backup-performance"),
    "pigz": integer(),
    "pool": string(),
    "protected": boolean(requires="storage"),
    "prune-backups": string(format="prune-backups"),
    "quiet": boolean(),
    "remove": boolean(),
    "script": string(),
    "stdexcludes": boolean(),
    "stdout": boolean(),
    "stop": boolean(),
    "stopwait": integer(0),
    "storage": STORAGE_ID,
    "tmpdir": string(),
    "vmid": string(format="pve-vmid-list"),
    "zstd": integer(),
}

TICKET: dict[str, Param] = {
    "username": required(string(max_length=64)),
    "password": required(string()),
    "realm": string(format="pve-realm", max_length=32),
    "otp": string(),
    "path": string(max_length=64, requires="privs"),
    "privs": string(format="pve-priv-list", max_length=64, requires="path"),
    "new-format": boolean(),
    "tfa-challenge": string(),
}

ON_NODE = {"node": NODE}
ON_CT = {"node": NODE, "vmid": VMID}
ON_SNAPSHOT = {**ON_CT, "snapname": SNAPNAME}
ON_TASK = {"node": NODE, "upid": UPID}
#: `storage` is optional upstream: `volume` may be a whole volid (`local:backup/...`).
ON_VOLUME = {"node": NODE, "storage": STORAGE_ID, "volume": required(string())}

#: (method, path template) -> parameters. The HTTP routes are registered from the same keys.
SPECS: dict[tuple[str, str], dict[str, Param]] = {
    ("GET", "/access/ticket"): {},
    ("POST", "/access/ticket"): TICKET,
    ("GET", "/version"): {},
    ("GET", "/nodes"): {},
    ("GET", "/nodes/{node}"): ON_NODE,
    ("GET", "/nodes/{node}/status"): ON_NODE,
    ("GET", "/cluster/resources"): {"type": string(enum=("vm", "storage", "node", "sdn"))},
    ("GET", "/cluster/nextid"): {"vmid": integer(100, 999999999, format="pve-vmid")},
    ("GET", "/nodes/{node}/storage"): {
        "node": NODE,
        "content": string(format="pve-storage-content-list"),
        "enabled": boolean(),
        "format": boolean(),
        "storage": STORAGE_ID,
        "target": string(format="pve-node"),
    },
    ("GET", "/nodes/{node}/storage/{storage}/content"): {
        "node": NODE,
        "storage": required(STORAGE_ID),
        "content": string(format="pve-storage-content"),
        "vmid": integer(100, 999999999, format="pve-vmid"),
    },
    ("GET", "/nodes/{node}/storage/{storage}/content/{volume}"): ON_VOLUME,
    ("PUT", "/nodes/{node}/storage/{storage}/content/{volume}"): {
        **ON_VOLUME,
        "notes": string(),
        "protected": boolean(),
    },
    ("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}"): {
        **ON_VOLUME,
        "delay": integer(1, 30),
    },
    ("GET", "/nodes/{node}/aplinfo"): ON_NODE,
    ("POST", "/nodes/{node}/aplinfo"): {
        "node": NODE,
        "storage": required(STORAGE_ID),
        "template": required(string(max_length=255)),
    },
    ("GET", "/nodes/{node}/lxc"): ON_NODE,
    ("POST", "/nodes/{node}/lxc"): CT_CREATE,
    ("GET", "/nodes/{node}/lxc/{vmid}"): ON_CT,
    ("DELETE", "/nodes/{node}/lxc/{vmid}"): {
        **ON_CT,
        "destroy-unreferenced-disks": boolean(),
        "force": boolean(),
        "purge": boolean(),
    },
    ("GET", "/nodes/{node}/lxc/{vmid}/config"): {
        **ON_CT,
        "current": boolean(),
        "snapshot": string(format="pve-configid", max_length=40),
    },
    ("PUT", "/nodes/{node}/lxc/{vmid}/config"): CT_UPDATE,
    ("GET", "/nodes/{node}/lxc/{vmid}/status"): ON_CT,
    ("GET", "/nodes/{node}/lxc/{vmid}/status/current"): ON_CT,
    ("POST", "/nodes/{node}/lxc/{vmid}/status/start"): {
        **ON_CT,
        "debug": boolean(),
        "skiplock": boolean(),
    },
    ("POST", "/nodes/{node}/lxc/{vmid}/status/stop"): {
        **ON_CT,
        "overrule-shutdown": boolean(),
        "skiplock": boolean(),
    },
    ("POST", "/nodes/{node}/lxc/{vmid}/status/shutdown"): {
        **ON_CT,
        "forceStop": boolean(),
        "timeout": integer(0),
    },
    ("POST", "/nodes/{node}/lxc/{vmid}/status/reboot"): {**ON_CT, "timeout": integer(0)},
    ("GET", "/nodes/{node}/lxc/{vmid}/interfaces"): ON_CT,
    ("POST", "/nodes/{node}/lxc/{vmid}/clone"): {
        **ON_CT,
        "newid": required(integer(100, 999999999, format="pve-vmid")),
        "bwlimit": number(0),
        "description": string(),
        "full": boolean(),
        "hostname": string(format="dns-name"),
        "pool": string(format="pve-poolid"),
        "snapname": string(format="pve-configid", max_length=40),
        "storage": STORAGE_ID,
        "target": string(format="pve-node"),
    },
    ("POST", "/nodes/{node}/lxc/{vmid}/template"): ON_CT,
    ("PUT", "/nodes/{node}/lxc/{vmid}/resize"): {
        **ON_CT,
        "disk": required(string(enum=("rootfs", *(f"mp{i}" for i in range(256))))),
        "size": required(string(pattern=r"\+?\d+(\.\d+)?[KMGT]?")),
        "digest": string(max_length=40),
    },
    ("GET", "/nodes/{node}/lxc/{vmid}/snapshot"): ON_CT,
    ("POST", "/nodes/{node}/lxc/{vmid}/snapshot"): {
        **ON_SNAPSHOT,
        "description": string(),
    },
    ("GET", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}"): ON_SNAPSHOT,
    ("DELETE", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}"): {
        **ON_SNAPSHOT,
        "force": boolean(),
    },
    ("POST", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback"): {
        **ON_SNAPSHOT,
        "start": boolean(),
    },
    ("GET", "/nodes/{node}/lxc/{vmid}/rrddata"): {
        **ON_CT,
        "timeframe": required(string(enum=("hour", "day", "week", "month", "year"))),
        "cf": string(enum=("AVERAGE", "MAX")),
    },
    ("POST", "/nodes/{node}/vzdump"): VZDUMP,
    ("GET", "/nodes/{node}/tasks"): {
        "node": NODE,
        "errors": boolean(),
        "limit": integer(0),
        "since": integer(),
        "source": string(enum=("archive", "active", "all")),
        "start": integer(0),
        "statusfilter": string(format="pve-task-status-type-list"),
        "typefilter": string(),
        "until": integer(),
        "userfilter": string(),
        "vmid": integer(100, 999999999, format="pve-vmid"),
    },
    ("GET", "/nodes/{node}/tasks/{upid}"): ON_TASK,
    ("DELETE", "/nodes/{node}/tasks/{upid}"): ON_TASK,
    ("GET", "/nodes/{node}/tasks/{upid}/status"): ON_TASK,
    ("GET", "/nodes/{node}/tasks/{upid}/log"): {
        **ON_TASK,
        "download": boolean(),
        "limit": integer(0),
        "start": integer(0),
    },
}
SPECS.update(ACCESS_SPECS)
