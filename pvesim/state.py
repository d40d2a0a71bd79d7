"""The cluster's state: nodes, storages, guests, DHCP leases and tasks, owned by one event loop.

`ClusterState` holds the data and the lookups; the operations the API and `pct` share (start,
create, clone, snapshot, backup, ...) come from the `ops_*` mixins, so both front ends apply the
same rules and raise the same `PveError`s. Every method runs on the simulator's loop.
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

from pvesim.acl import AccessControl
from pvesim.clock import Clock
from pvesim.errors import PveError, not_found_config
from pvesim.faults import FaultSet
from pvesim.inside import ContainerInside
from pvesim.model import SHARED_TYPES, Guest, Node, Snapshot, Usage
from pvesim.ops_config import ConfigOps
from pvesim.ops_create import CreateOps
from pvesim.ops_power import PowerOps
from pvesim.ops_snapshot import SnapshotOps
from pvesim.ops_storage import StorageOps, VolumeOps
from pvesim.profiles import Profile
from pvesim.tasks import TaskRunner
from pvesim.versions import Release, release

#: PVE's own range for guest ids (`unable to get any free VMID in range [100, 1000000]`).
VMID_MIN, VMID_MAX = 100, 1000000
#: Where DHCP leases come from: a private /16 the CTs' bridge hands out.
DHCP_PREFIX = "10.10"


def inside_release(template: str | None, ostype: str) -> tuple[str, str]:
    """The (ostype, release) the inside model knows for a template (`debian-13-...` -> 13)."""
    name = (template or "").rsplit("/", 1)[-1]
    match = re.match(r"(alpine|debian)-(\d+(?:\.\d+)?)", name)
    if match:
        return match.group(1), match.group(2)
    return ("alpine", "3.22") if ostype == "alpine" else ("debian", "12")


class ClusterState(PowerOps, CreateOps, SnapshotOps, ConfigOps, StorageOps, VolumeOps):
    def __init__(
        self, clock: Clock, faults: FaultSet, *, seed: int = 0, profile: Profile | None = None
    ) -> None:
        self.clock = clock
        self.faults = faults
        self.seed = seed
        #: How these hosts differ from the kind default (`profiles.py`).
        self.profile = profile if profile is not None else Profile()
        #: The PVE release every node runs (`versions.py`).
        self.release: Release = release(self.profile.major)
        #: Users, tokens, roles, pools and ACLs (`acl.py`).
        self.access = AccessControl(self.release.major)
        self.rng = random.Random(seed)
        self.nodes: dict[str, Node] = {}
        self.guests: dict[int, Guest] = {}
        self.tasks = TaskRunner(clock, faults, on_finish=lambda task: self.changed())
        #: Every MAC in use, so new ones are unique without scanning all guests.
        self._macs: set[str] = set()
        #: hwaddr -> address, kept across restarts like a DHCP server's leases.
        self.leases: dict[str, str] = {}
        self._next_lease = 10
        #: Reported by `GET /nodes` as each node's certificate fingerprint.
        self.ssl_fingerprint = ""
        #: Simulated seconds between pvestatd updates of `/cluster/resources` figures.
        self.statd_interval = 10.0

    # --- lookups -------------------------------------------------------------------------

    def node(self, name: str) -> Node:
        node = self.nodes.get(name)
        if node is None:
            raise PveError(
                500,
                f"hostname lookup '{name}' failed - failed to get address info for: {name}: "
                "Name or service not known",
            )
        return node

    def find_ct(self, vmid: int) -> Guest | None:
        """The container with this id on any node (None if absent or a VM)."""
        guest = self.guests.get(int(vmid))
        return guest if guest is not None and guest.type == "lxc" else None

    def ct_on(self, node: str, vmid: int) -> Guest:
        """The CT `vmid` on `node`, or PVE's error for a config file that is not there."""
        self.node(node)
        guest = self.guests.get(int(vmid))
        if guest is None or guest.type != "lxc" or guest.node != node:
            raise not_found_config(node, vmid)
        return guest

    def cts_on(self, node: str) -> list[Guest]:
        return [g for g in self.guests.values() if g.node == node and g.type == "lxc"]

    def check_vmid_unused(self, vmid: int) -> None:
        guest = self.guests.get(vmid)
        if guest is not None:
            kind = "CT" if guest.type == "lxc" else "VM"
            raise PveError(500, f"{kind} {vmid} already exists on node '{guest.node}'")

    def next_free_vmid(self) -> int:
        for vmid in range(VMID_MIN, VMID_MAX):
            if vmid not in self.guests:
                return vmid
        raise PveError(500, f"unable to get any free VMID in range [{VMID_MIN}, {VMID_MAX}]")

    # --- addresses -------------------------------------------------------------------------

    def new_hwaddr(self) -> str:
        """A MAC in Proxmox's own OUI (BC:24:11), unique in the cluster."""
        while True:
            tail = ":".join(f"{self.rng.randrange(256):02X}" for _ in range(3))
            mac = f"BC:24:11:{tail}"
            if mac not in self._macs:
                self._macs.add(mac)
                return mac

    def lease(self, hwaddr: str | None) -> str:
        key = hwaddr or "none"
        if key not in self.leases:
            n = self._next_lease
            self._next_lease += 1
            self.leases[key] = f"{DHCP_PREFIX}.{n // 250}.{n % 250 + 2}"
        return self.leases[key]

    # --- the inside of containers ----------------------------------------------------------

    def new_inside(self, vmid: int, ostype: str, hostname: str, template: str | None = None) -> Any:
        kind, release = inside_release(template, ostype)
        return ContainerInside(
            vmid,
            ostype=kind,
            release=release,
            hostname=hostname,
            rng=random.Random(self.seed * 1_000_003 + vmid),
            clock=self.clock.time,
            time_scale=self.clock.time_scale,
        )

    def lazy_inside(self, g: Guest, recipe: tuple[Any, ...]) -> None:
        """Give `g` an inside that is made the first time someone looks at it."""
        g.inside_recipe = recipe
        g.inside_maker = self._make_inside

    def _make_inside(self, g: Guest, recipe: tuple[Any, ...]) -> Any:
        if recipe[0] == "dict":
            return self.inside_from_dict(recipe[1])
        _, ostype, hostname, template = recipe
        inside = self.new_inside(g.vmid, ostype, hostname, template)
        if g.status == "running":
            from pvesim.ops_base import parse_features

            inside.on_start(
                g.ip or self.lease(g.hwaddr),
                features=parse_features(g.config.get("features")),
                hostname=g.name,
            )
        return inside

    def inside_from_dict(self, data: dict[str, Any]) -> Any:
        return ContainerInside.from_dict(
            data,
            rng=random.Random(self.rng.getrandbits(64)),
            clock=self.clock.time,
            time_scale=self.clock.time_scale,
        )

    # --- small helpers the ops share -------------------------------------------------------------

    def now(self) -> float:
        return self.clock.time()

    def changed(self) -> None:
        """Something changed: in live mode the listings show it at once (else at the next
        pvestatd round, as on a real host)."""
        if self.statd_live():
            from pvesim.stats import refresh_statd

            refresh_statd(self)

    def statd_live(self) -> bool:
        """At (near) zero time scale `/cluster/resources` shows live figures, not the last
        pvestatd round (tests need not wait 10 simulated seconds for a status to show)."""
        return self.clock.scaled(self.statd_interval) < 0.05

    @staticmethod
    def config_digest(config: dict[str, Any]) -> str:
        text = "".join(f"{k}: {v}\n" for k, v in sorted(config.items()))
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()

    # --- persistence ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        now = self.now()
        return {
            "version": 1,
            "seed": self.seed,
            "next_lease": self._next_lease,
            "leases": dict(self.leases),
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "guests": [_guest_to_dict(g, now) for g in self.guests.values()],
            "access": self.access.to_dict(),
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], clock: Clock, faults: FaultSet, profile: Profile | None = None
    ) -> ClusterState:
        if data.get("version") != 1:
            raise ValueError("unsupported simulator state file (version)")
        state = cls(clock, faults, seed=int(data.get("seed", 0)), profile=profile)
        if data.get("access"):
            state.access = AccessControl.from_dict(data["access"], state.release.major)
        state.leases = dict(data.get("leases", {}))
        state._next_lease = int(data.get("next_lease", 10))
        shared: dict[str, Any] = {}
        for node in data["nodes"]:
            n = Node.from_dict(node)
            for sid, st in list(n.storages.items()):
                if st.type in SHARED_TYPES:  # one storage seen from every node
                    n.storages[sid] = shared.setdefault(sid, st)
            state.nodes[n.name] = n
        now = clock.time()
        for item in data["guests"]:
            g = _guest_from_dict(item, now)
            if item.get("inside") is not None:
                state.lazy_inside(g, ("dict", item["inside"]))
            elif item.get("inside_recipe"):
                state.lazy_inside(g, tuple(item["inside_recipe"]))
            for snap in g.snapshots.values():
                if isinstance(snap.inside, dict):
                    snap.inside = state.inside_from_dict(snap.inside)
            state.guests[g.vmid] = g
            if g.hwaddr:
                state._macs.add(g.hwaddr)
        return state


def _guest_to_dict(g: Guest, now: float) -> dict[str, Any]:
    return {
        "vmid": g.vmid,
        "node": g.node,
        "type": g.type,
        "config": g.config,
        "status": g.status,
        "ip": g.ip,
        "uptime": g.uptime(now),
        "pid": g.pid,
        "pending": g.pending,
        "created": g.created,
        "usage": dict(g.usage.__dict__),
        "inside": g.inside_if_made.to_dict() if g.inside_if_made is not None else None,
        "inside_recipe": list(g.inside_recipe) if g.inside_recipe else None,
        "snapshots": [
            {
                "name": s.name,
                "snaptime": s.snaptime,
                "description": s.description,
                "parent": s.parent,
                "config": s.config,
                "running": s.running,
                "inside": s.inside.to_dict() if s.inside is not None else None,
            }
            for s in g.snapshots.values()
        ],
    }


def _guest_from_dict(d: dict[str, Any], now: float) -> Guest:
    g = Guest(
        vmid=int(d["vmid"]),
        node=d["node"],
        type=d["type"],
        config=dict(d["config"]),
        status=d.get("status", "stopped"),
        ip=d.get("ip"),
        pid=d.get("pid"),
        pending=dict(d.get("pending", {})),
        created=float(d.get("created", 0.0)),
        usage=Usage(**d.get("usage", {})),
    )
    if g.status == "running":
        g.started = now - int(d.get("uptime", 0))
    for s in d.get("snapshots", []):
        g.snapshots[s["name"]] = Snapshot(
            name=s["name"],
            snaptime=int(s["snaptime"]),
            description=s.get("description", ""),
            parent=s.get("parent"),
            config=dict(s.get("config", {})),
            running=bool(s.get("running")),
            inside=s.get("inside"),  # made into an inside by the caller
        )
    return g
