"""Text and checks for the deploy form: a node choice's label, the resource checks, the plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from rich.text import Text

from proximity_tui.errors import ValidationError
from proximity_tui.services.network import plan_network

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings
    from proximity_tui.service_views import DeployPlan, NodeChoice
    from proximity_tui.services.catalog.model import Resources


def node_label(node: NodeChoice) -> str:
    """One line, memory in MB like the Memory field (GB for the total, for scale)."""
    if not node.online:
        return f"{node.name}  (offline)"
    template = " · template ready" if node.has_template else ""
    if node.free_memory_mb is None or node.total_memory_mb is None:
        # Proxmox leaves the figures out when the token lacks Sys.Audit on the node.
        return f"{node.name}  memory and load unknown (no Sys.Audit){template}"
    total = node.total_memory_mb / 1024
    return (
        f"{node.name}  {node.free_memory_mb} MB free of {total:.0f} GB · {node.cpus} CPUs · "
        f"load {(node.cpu_load or 0) * 100:.0f}%{template}"
    )


def plan_text(plan: DeployPlan) -> Text:
    text = Text()
    # The vmid is only reserved when the deploy starts (another deploy may take this one first),
    # so the plan must not promise it.
    text.append(f"next free CT (e.g. {plan.vmid}) on {plan.node}", "bold")
    text.append(f"  ·  {plan.cores} core(s), {plan.memory} MB, {plan.disk} GB\n")
    text.append("template ")
    text.append(plan.template)
    if plan.template_cached:
        text.append("  (cached)", "green")
    else:
        text.append("  (to download)", "yellow")
    text.append("\n")
    if getattr(plan, "network", ""):
        text.append(f"network {plan.network}\n")
    for i, (_, title) in enumerate(plan.steps, 1):
        text.append(f"{i:>2}. {title}\n", "bright_black")
    for problem in plan.problems:
        text.append(f"✖ {problem}\n", "red")
    return text


class Override(NamedTuple):
    """A deploy's address override, as `start_deploy` takes it (None: as [deploy] says)."""

    ip: str | None = None
    gateway: str | None = None
    vlan: int | None = None


def network_override(
    deploy: DeploySettings, ip: str, gateway: str, vlan: str
) -> tuple[Override, str | None]:
    """The form's address fields as an `Override`, and their problem, checked exactly as the
    deploy checks them (`plan_network` with [deploy])."""
    values = Override(
        ip.strip() or None,
        gateway.strip() or None,
        int(vlan) if vlan.strip().isdigit() else None,
    )
    try:
        plan_network(deploy, ip=values.ip, gateway=values.gateway, vlan=values.vlan)
    except ValidationError as exc:
        return values, str(exc)
    return values, None


def resource_problems(
    res: Resources, values: dict[str, str], nodes: list[NodeChoice], node: str | None
) -> tuple[dict[str, int], list[str]]:
    """The resource fields as numbers, and every problem with them: missing, under the entry's
    minimum, or more memory than the chosen node (or, with none chosen, any node) has free."""
    out: dict[str, int] = {}
    problems: list[str] = []
    units = {"cores": "", "memory": " MB", "disk": " GB"}
    minimums = {"cores": res.min_cores, "memory": res.min_memory, "disk": res.min_disk}
    for name, minimum in minimums.items():
        raw = values.get(name, "")
        if not raw:
            problems.append(f"{name} is required")
            continue
        value = int(raw)
        if value < minimum:
            problems.append(f"{name} must be at least {minimum}{units[name]}")
            continue
        out[name] = value
    memory = out.get("memory")
    # A node whose free memory Proxmox withholds (no Sys.Audit) is neither a fit nor a misfit.
    free = {n.name: n.free_memory_mb for n in nodes if n.online and n.free_memory_mb is not None}
    if memory is not None and free:
        best = max(free, key=free.__getitem__)
        if memory > free[best]:
            problems.append(
                f"memory {memory} MB is more than any node has free "
                f"(at most {free[best]} MB, on {best})"
            )
        elif node is not None and node in free and memory > free[node]:
            problems.append(
                f"memory {memory} MB is more than {node} has free "
                f"({free[node]} MB; {best} has {free[best]} MB)"
            )
    return out, problems
