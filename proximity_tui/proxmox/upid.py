"""Proxmox task ids (UPIDs) and task statuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from proximity_tui.errors import ValidationError
from proximity_tui.proxmox.coerce import as_int, as_str

# --- tasks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upid:
    """`UPID:{node}:{pid}:{pstart}:{starttime}:{type}:{id}:{user}:` (hex numbers)."""

    upid: str
    node: str
    pid: int
    pstart: int
    starttime: int
    type: str
    id: str
    user: str

    @property
    def label(self) -> str:
        """`vzstart 100 on pve1`: how messages name a task."""
        what = f"{self.type} {self.id}".strip()
        return f"{what} on {self.node}"

    @classmethod
    def parse(cls, upid: str) -> Upid:
        parts = str(upid).split(":")
        if len(parts) < 9 or parts[0] != "UPID":
            raise ValidationError(f"not a Proxmox task id (UPID): {str(upid)[:80]!r}", field="upid")
        try:
            pid, pstart, start = (int(x, 16) for x in parts[2:5])
        except ValueError:
            raise ValidationError(f"malformed UPID: {upid[:80]!r}", field="upid") from None
        return cls(upid, parts[1], pid, pstart, start, parts[5], parts[6], ":".join(parts[7:-1]))


@dataclass(frozen=True)
class TaskStatus:
    upid: str
    node: str
    type: str
    id: str
    user: str
    status: str  # "running" | "stopped"
    exitstatus: str | None
    starttime: int

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def ok(self) -> bool:
        """Finished without error (`OK` or `WARNINGS: n`)."""
        return (
            not self.running
            and self.exitstatus is not None
            and (self.exitstatus == "OK" or self.exitstatus.startswith("WARNINGS"))
        )

    @classmethod
    def from_api(cls, upid: str, d: dict[str, Any]) -> TaskStatus:
        parsed = Upid.parse(upid)
        return cls(
            upid=upid,
            node=str(d.get("node") or parsed.node),
            type=str(d.get("type") or parsed.type),
            id=str(d.get("id") if d.get("id") is not None else parsed.id),
            user=str(d.get("user") or parsed.user),
            status=str(d.get("status") or "running"),
            exitstatus=as_str(d.get("exitstatus")),
            starttime=as_int(d.get("starttime"), parsed.starttime),
        )
