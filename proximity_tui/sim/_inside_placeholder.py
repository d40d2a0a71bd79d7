"""TEMPORARY stand-in for `proximity_tui.sim.inside.ContainerInside` (being written alongside).

Delete this file once `sim/inside/` lands; `state.new_inside()` prefers the real one.
"""

from __future__ import annotations

from typing import Any


class PlaceholderInside:
    def __init__(self, ostype: str = "alpine", hostname: str = "") -> None:
        self.ostype = ostype
        self.hostname = hostname
        self.ip: str | None = None
        self.running = False

    def clone(self) -> PlaceholderInside:
        return PlaceholderInside.from_dict(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {"ostype": self.ostype, "hostname": self.hostname}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlaceholderInside:
        return cls(data.get("ostype", "alpine"), data.get("hostname", ""))

    def on_start(self, ip: str | None) -> None:
        self.running, self.ip = True, ip

    def on_stop(self) -> None:
        self.running, self.ip = False, None

    def load(self) -> tuple[float, int]:
        return 0.0, 0
