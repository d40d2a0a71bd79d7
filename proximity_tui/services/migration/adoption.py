"""Which containers `migrate` may adopt (issue 15, point 9).

An apps.json entry names a CT by vmid; once its row exists, `delete` destroys that CT. So an entry
is adopted only when the cluster shows that CT carrying our `proximity` tag, or when it holds no
such CT at all (nothing to adopt: the app is listed as missing). An untagged CT (one we never
created: the original Proximity did not tag, and neither does anyone else) is adopted only when the
user says so (`--adopt-untagged`); a CT with another hostname never is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from proximity_tui.proxmox.models import Guest
from proximity_tui.services.containers import TAG


@dataclass(frozen=True)
class Adoption:
    """The cluster's containers by vmid (None: Proxmox was not asked) and the user's choice."""

    containers: dict[int, Guest] | None = None
    adopt_untagged: bool = False

    @classmethod
    def of(cls, guests: Iterable[Guest] | None, *, adopt_untagged: bool = False) -> Adoption:
        by_vmid = None if guests is None else {g.vmid: g for g in guests if g.type == "lxc"}
        return cls(by_vmid, adopt_untagged)

    def refusal(self, vmid: int, hostname: str) -> str | None:
        """Why the entry for CT `vmid` named `hostname` is not imported, or None."""
        if self.containers is None:
            if self.adopt_untagged:
                return None
            return "its container's tags were not checked: not adopted (--adopt-untagged adopts it)"
        guest = self.containers.get(vmid)
        if guest is None:
            return None  # nothing there to adopt: the monitor will call the app missing
        if guest.name and guest.name.lower() != hostname:
            return f"conflict: CT {vmid} is named {guest.name!r}, not {hostname!r}: not adopted"
        if TAG not in guest.tags and not self.adopt_untagged:
            return (
                f"CT {vmid} is not tagged '{TAG}' (Proximity did not create it): not adopted "
                "(--adopt-untagged adopts it)"
            )
        return None

    def node(self, vmid: int, given: str) -> str:
        """Where CT `vmid` really is (apps.json may predate a migration between nodes)."""
        guest = (self.containers or {}).get(vmid)
        return guest.node if guest is not None and guest.node else given

    def note(self, vmid: int) -> str | None:
        """What the report says of an adopted entry, when there is something to say."""
        if self.containers is None:
            return None  # the summary says once that nothing was checked
        guest = self.containers.get(vmid)
        if guest is None:
            return f"no CT {vmid} on the cluster: listed as missing"
        if TAG not in guest.tags:
            return f"CT {vmid} is untagged: adopted (--adopt-untagged)"
        return None
