"""Retrying a failed deploy with the same settings (issue 16, missing 2).

The journal row of a deploy holds its request (`DeployRequest.parameters()`): the entry, hostname,
node, resources and network choices, and the names of the environment values given, never their
values (the journal masks them). `retry_plan` reads that back into the arguments of a new deploy;
values given the first time must be given again (`missing_values`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from proximity_tui.errors import ValidationError
from proximity_tui.service_views import OperationView

#: Deploys that ended without their app and may be run again as they were asked.
RETRYABLE = ("failed", "rolled_back", "interrupted")
_KEYS = ("node", "cores", "memory", "disk", "ip", "gateway", "vlan")


@dataclass(frozen=True)
class RetryPlan:
    op_id: int
    catalog_id: str
    hostname: str
    options: dict[str, Any] = field(default_factory=dict)
    #: The environment names the first deploy was given values for (the journal kept no values).
    env_names: tuple[str, ...] = ()
    allow_risks: bool = False

    def missing_values(self, environment: dict[str, str]) -> list[str]:
        return [name for name in self.env_names if name not in environment]

    def describe(self) -> str:
        """`uptime-kuma as status (node pve2, memory 1024)`."""
        chosen = ", ".join(f"{k} {v}" for k, v in self.options.items())
        return f"{self.catalog_id} as {self.hostname}" + (f" ({chosen})" if chosen else "")


def retry_plan(op: OperationView) -> RetryPlan:
    """What a retry of deploy `op` runs; refused (exit 2) for anything but a deploy that ended
    without its app."""
    if op.kind != "deploy":
        raise ValidationError(f"operation #{op.id} is a {op.kind}: only a deploy can be retried")
    if op.status not in RETRYABLE:
        said = "is still running" if op.status == "running" else "succeeded"
        raise ValidationError(f"operation #{op.id} {said}: only a failed deploy can be retried")
    params = op.parameters or {}
    catalog_id, hostname = params.get("catalog_id"), params.get("hostname") or op.hostname
    if not isinstance(catalog_id, str) or not isinstance(hostname, str):
        raise ValidationError(f"operation #{op.id} does not record what it deployed")
    env = params.get("environment")
    return RetryPlan(
        op.id,
        catalog_id,
        hostname,
        {k: params[k] for k in _KEYS if params.get(k) is not None},
        tuple(env) if isinstance(env, dict) else (),
        bool(params.get("allow_risks")),
    )
