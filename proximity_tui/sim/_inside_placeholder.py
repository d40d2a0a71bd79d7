"""TEMPORARY stand-in for `proximity_tui.sim.inside.ContainerInside` (being written alongside).

Same constructor and hooks as the real one. Delete this file once `sim/inside/` is committed;
`state.inside_class()` prefers the real one.
"""

from __future__ import annotations

from typing import Any


class PlaceholderInside:
    def __init__(
        self, vmid: int, *, ostype: str = "alpine", hostname: str | None = None, **_: Any
    ) -> None:
        self.vmid = vmid
        self.ostype = ostype
        self.hostname = hostname or f"CT{vmid}"
        self.ip: str | None = None
        self.booted = False

    def clone(self) -> PlaceholderInside:
        return PlaceholderInside.from_dict(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {"vmid": self.vmid, "ostype": self.ostype, "hostname": self.hostname}

    @classmethod
    def from_dict(cls, data: dict[str, Any], **_: Any) -> PlaceholderInside:
        return cls(data["vmid"], ostype=data.get("ostype", "alpine"), hostname=data.get("hostname"))

    def on_start(self, ip: str | None, **_: Any) -> None:
        self.booted, self.ip = True, ip

    def on_stop(self) -> None:
        self.booted, self.ip = False, None

    def load(self) -> tuple[float, int]:
        return 0.0, 0
