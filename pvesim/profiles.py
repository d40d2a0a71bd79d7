"""Host profiles: the ways real Proxmox VE hosts differ from the kind default, chosen by name and
combinable (`Simulator(profiles=["pve8", "privsep-token", "dir-storage"])`,
`proximity-tui sim --profile pve8,privsep-token`).

Each profile only switches a behaviour the modules implement (and cite the Proxmox source for):

- `pve9` (default), `pve8`, `pve7`: what `GET /version` and `apt/versions` report
  (`versions.py`); PVE 7 has no `.../lxc/{vmid}/interfaces` and no SDN.Use check on bridges.
- `privsep-token`: the token handed out is `root@pam!proximity` with privilege separation and no
  grants of its own (what the GUI creates by default), so it holds nothing (`acl.py`).
- `dir-storage` / `nfs-storage`: the CTs' storage is a `dir` / `nfs` storage that cannot
  snapshot (`build.py`, `ops_snapshot.py`, `ops_create.py`).
- `no-dhcp`: the bridge answers no DHCP request (`ops_power.py`).
- `slow-shutdown`: a clean shutdown never finishes in time ("container did not stop").
- `docker-runc-broken`: the nodes' `lxc-pve` predates the fix for runc 1.3.3, so Docker cannot
  start a container inside a CT (`inside/`).
- `template-rotated`: the appliance index no longer lists the Alpine build the config names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT = "pve9"
MAJORS = {"pve9": 9, "pve8": 8, "pve7": 7}
STORAGE_TYPES = {"dir-storage": "dir", "nfs-storage": "nfs"}
FLAGS = ("privsep-token", "no-dhcp", "slow-shutdown", "docker-runc-broken", "template-rotated")
NAMES: tuple[str, ...] = (*MAJORS, "privsep-token", *STORAGE_TYPES, *FLAGS[1:])


@dataclass(frozen=True)
class Profile:
    names: tuple[str, ...] = ()
    #: The Proxmox VE major release the hosts run.
    major: int = 9
    #: The token handed out is privilege-separated (it holds only what is granted to it).
    privsep_token: bool = False
    #: Type of the storage that holds CT volumes (`lvmthin` on a default install).
    ct_storage_type: str = "lvmthin"
    dhcp: bool = True
    slow_shutdown: bool = False
    runc_broken: bool = False
    templates_rotated: bool = False

    @property
    def ct_storage_id(self) -> str:
        """The storage that holds the guests' volumes (`build.py`)."""
        return {"dir": "local", "nfs": "nfs-ct"}.get(self.ct_storage_type, "local-lvm")

    @property
    def can_snapshot(self) -> bool:
        """Whether the CT storage type can snapshot a container volume (see `model.py`)."""
        from pvesim.model import snapshot_capable

        return snapshot_capable(self.ct_storage_type)


def parse_profiles(names: Iterable[str] | str | None) -> Profile:
    """A `Profile` from names (a list, or one comma-separated string); ValueError when a name is
    unknown or two exclude each other (two releases, two storage types)."""
    if names is None:
        names = ()
    if isinstance(names, str):
        names = names.split(",")
    wanted = [n.strip() for n in names if n and n.strip()]
    unknown = [n for n in wanted if n not in NAMES]
    if unknown:
        raise ValueError(
            f"unknown profile {', '.join(repr(n) for n in unknown)} (known: {', '.join(NAMES)})"
        )
    majors = sorted({n for n in wanted if n in MAJORS})
    storages = sorted({n for n in wanted if n in STORAGE_TYPES})
    if len(majors) > 1:
        raise ValueError(f"profiles {' and '.join(majors)} exclude each other (one release)")
    if len(storages) > 1:
        raise ValueError(f"profiles {' and '.join(storages)} exclude each other (one CT storage)")
    unique = tuple(dict.fromkeys(wanted))
    return Profile(
        names=unique,
        major=MAJORS[majors[0]] if majors else MAJORS[DEFAULT],
        privsep_token="privsep-token" in unique,
        ct_storage_type=STORAGE_TYPES[storages[0]] if storages else "lvmthin",
        dhcp="no-dhcp" not in unique,
        slow_shutdown="slow-shutdown" in unique,
        runc_broken="docker-runc-broken" in unique,
        templates_rotated="template-rotated" in unique,
    )
