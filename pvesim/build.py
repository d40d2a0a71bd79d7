"""A fresh cluster: nodes of different sizes, their storages, a cached template, a few guests
Proximity did not create, and optionally many more containers for scale."""

from __future__ import annotations

from pvesim import appliances
from pvesim.clock import Clock
from pvesim.faults import FaultSet
from pvesim.model import GiB, Guest, MiB, Node, Snapshot, Storage, Usage, Volume, disk_name
from pvesim.profiles import Profile
from pvesim.state import ClusterState

_NODE_SHAPES = (
    (16, 64 * GiB, "AMD Ryzen 9 5950X 16-Core Processor"),
    (8, 32 * GiB, "Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz"),
    (12, 48 * GiB, "Intel(R) Xeon(R) E-2336 CPU @ 2.90GHz"),
    (4, 16 * GiB, "Intel(R) N100"),
)
#: First id of the `--containers N` extra CTs: well above the pre-existing guests.
SCALE_FIRST_VMID = 1000


def build_cluster(
    clock: Clock,
    faults: FaultSet,
    *,
    nodes: int = 3,
    containers: int = 0,
    seed: int = 0,
    preexisting: bool = True,
    profile: Profile | None = None,
) -> ClusterState:
    if nodes < 1:
        raise ValueError("a cluster needs at least one node")
    state = ClusterState(clock, faults, seed=seed, profile=profile)
    now = clock.time()
    rng = state.rng
    shared: dict[str, Storage] = {}
    for i in range(nodes):
        cores, mem, model = _NODE_SHAPES[i % len(_NODE_SHAPES)]
        node = Node(
            name=f"pve{i + 1}",
            maxcpu=cores,
            maxmem=mem,
            cpu_model=model,
            boot_time=now - rng.randrange(3, 40) * 86400 - rng.randrange(86400),
            next_pid=rng.randrange(100000, 900000),
        )
        _add_storages(node, state.profile, shared)
        state.nodes[node.name] = node
    first = state.nodes["pve1"]
    tmpl = appliances.BY_TEMPLATE[appliances.DEFAULT_TEMPLATE]
    volid = f"local:vztmpl/{tmpl.template}"
    first.storages["local"].volumes[volid] = Volume(
        volid, "vztmpl", tmpl.size, int(now - 20 * 86400), "txz"
    )
    iso = "local:iso/debian-13.2.0-amd64-netinst.iso"
    first.storages["local"].volumes[iso] = Volume(iso, "iso", 754 * MiB, int(now - 9e5), "iso")
    if preexisting:
        _preexisting_guests(state, now)
    names = list(state.nodes)
    for i in range(containers):
        vmid = SCALE_FIRST_VMID + i
        node = names[i % len(names)]
        _add_ct(
            state,
            vmid,
            node,
            f"ct-{vmid}",
            running=rng.random() < 0.7,
            tags="scale",
            memory=rng.choice((256, 512, 1024)),
            disk_gib=rng.choice((2, 4, 8)),
            now=now,
        )
    _refresh_nodes(state)
    return state


def _add_storages(node: Node, profile: Profile, shared: dict[str, Storage]) -> None:
    """A default install: `local` (dir, /var/lib/vz: templates, ISOs, backups) and `local-lvm`
    (lvmthin: guest volumes). `dir-storage`: only `local`, which also holds the guests' volumes
    (an install without LVM-thin); `nfs-storage`: guests on a shared NFS export, mounted at
    /mnt/pve/<storage> (pve-storage `src/PVE/Storage/DirPlugin.pm`, `NFSPlugin.pm`)."""
    # the same object on every node: a shared storage holds one set of volumes
    base = ("vztmpl", "iso", "backup")
    guests = ("rootdir", "images")
    if profile.ct_storage_type == "dir":
        node.storages["local"] = Storage(
            "local", "dir", guests + base, 900 * GiB, path="/var/lib/vz"
        )
        return
    node.storages["local"] = Storage("local", "dir", base, 100 * GiB, path="/var/lib/vz")
    sid = profile.ct_storage_id
    if profile.ct_storage_type == "nfs":
        node.storages[sid] = shared.setdefault(sid, Storage(
            sid, "nfs", guests, 2048 * GiB, path=f"/mnt/pve/{sid}",
            server="192.168.1.20", export="/export/pve",
        ))  # fmt: skip
    else:
        node.storages[sid] = Storage(sid, "lvmthin", guests, 800 * GiB)


def _preexisting_guests(state: ClusterState, now: float) -> None:
    names = list(state.nodes)
    last = names[-1]
    _add_vm(state, 100, names[0], "opnsense", running=True, memory=4096, cores=2, now=now)
    _add_vm(
        state, 101, names[1 % len(names)], "win11-lab", running=False, memory=8192, cores=4, now=now
    )
    _add_ct(
        state,
        102,
        names[0],
        "pihole",
        running=True,
        tags="dns;infra",
        memory=512,
        disk_gib=4,
        ostype="debian",
        now=now,
    )
    _add_ct(
        state,
        103,
        last,
        "nextcloud-old",
        running=False,
        tags="legacy",
        memory=2048,
        disk_gib=32,
        ostype="debian",
        now=now,
    )
    media = _add_ct(
        state, 104, last, "media", running=True, memory=1024, disk_gib=16, ostype="alpine", now=now
    )
    snap_time = int(now - 6 * 86400)
    media.snapshots["before-upgrade"] = Snapshot(
        name="before-upgrade",
        snaptime=snap_time,
        description="before apk upgrade",
        config=dict(media.config),
        running=True,
        inside=media.inside.clone() if media.inside is not None else None,
    )
    media.config["parent"] = "before-upgrade"
    local = state.nodes[last].storages["local"]
    volid = "local:backup/vzdump-lxc-104-2025_11_20-03_00_02.tar.zst"
    local.volumes[volid] = Volume(
        volid,
        "backup",
        412 * MiB,
        int(now - 7 * 86400),
        "tar.zst",
        vmid=104,
        notes="media",
        payload={
            "config": dict(media.config),
            "inside": media.inside.to_dict() if media.inside else None,
        },
    )


def _add_vm(
    state: ClusterState,
    vmid: int,
    node: str,
    name: str,
    *,
    running: bool,
    memory: int,
    cores: int,
    now: float,
) -> Guest:
    disk = f"{disk_volid(state, vmid)},iothread=1,size=32G"
    g = Guest(
        vmid=vmid,
        node=node,
        type="qemu",
        created=now - 30 * 86400,
        config={
            "name": name,
            "memory": memory,
            "cores": cores,
            "sockets": 1,
            "ostype": "l26",
            "scsi0": disk,
            "net0": f"virtio={state.new_hwaddr()},bridge=vmbr0",
            "onboot": 1,
        },
    )
    _add_disk(state, node, vmid, 32 * GiB, "images")
    g.usage = Usage(disk=0)
    state.guests[vmid] = g
    if running:
        g.status, g.started, g.pid = "running", now - state.rng.randrange(3600, 20 * 86400), 4242
        g.usage.mem = memory * MiB // 2
    return g


def _add_ct(
    state: ClusterState,
    vmid: int,
    node: str,
    hostname: str,
    *,
    running: bool,
    memory: int,
    disk_gib: int,
    now: float,
    tags: str | None = None,
    ostype: str = "alpine",
) -> Guest:
    config = {
        "arch": "amd64",
        "cores": 1 if memory <= 512 else 2,
        "hostname": hostname,
        "memory": memory,
        "swap": 512,
        "net0": f"name=eth0,bridge=vmbr0,hwaddr={state.new_hwaddr()},ip=dhcp,type=veth",
        "ostype": ostype,
        "rootfs": f"{disk_volid(state, vmid)},size={disk_gib}G",
        "unprivileged": 1,
        "onboot": 1 if running else 0,
    }
    if tags:
        config["tags"] = tags
    g = Guest(vmid=vmid, node=node, type="lxc", config=config, created=now - 30 * 86400)
    g.usage = Usage(disk=int(disk_gib * GiB * state.rng.uniform(0.1, 0.5)))
    state.lazy_inside(g, ("new", ostype, hostname, None))
    _add_disk(state, node, vmid, disk_gib * GiB, "rootdir")
    state.guests[vmid] = g
    if running:
        g.status = "running"
        g.started = now - state.rng.randrange(600, 20 * 86400)
        g.pid = state.rng.randrange(2000, 4_000_000)
        g.ip = state.lease(g.hwaddr)
        g.usage.mem = int(memory * MiB * 0.15)
        g.usage.cpu = 0.01
    return g


def _add_disk(state: ClusterState, node: str, vmid: int, size: int, content: str) -> None:
    storage = state.nodes[node].storages[state.profile.ct_storage_id]
    volid = disk_volid(state, vmid)
    storage.volumes[volid] = Volume(volid, content, size, 0, "raw", vmid=vmid)


def disk_volid(state: ClusterState, vmid: int) -> str:
    sid = state.profile.ct_storage_id
    return f"{sid}:{disk_name(state.profile.ct_storage_type, vmid, 0)}"


def _refresh_nodes(state: ClusterState) -> None:
    from pvesim.stats import refresh_nodes

    refresh_nodes(state)
