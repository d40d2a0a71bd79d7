"""Text for the deploy form: a node choice's label and the plan preview."""

from __future__ import annotations

from typing import Any

from rich.text import Text


def node_label(node: Any) -> str:
    if not node.online:
        return f"{node.name}  (offline)"
    free = node.free_memory_mb / 1024
    total = node.total_memory_mb / 1024
    template = "  template cached" if node.has_template else ""
    return (
        f"{node.name}  {free:.1f}/{total:.1f} GB free · {node.cpus} CPUs · "
        f"load {node.cpu_load * 100:.0f}%{template}"
    )


def plan_text(plan: Any) -> Text:
    text = Text()
    text.append(f"CT {plan.vmid} on {plan.node}", "bold")
    text.append(f"  ·  {plan.cores} core(s), {plan.memory} MB, {plan.disk} GB\n")
    text.append("template ")
    text.append(plan.template)
    if plan.template_cached:
        text.append("  (cached)", "green")
    else:
        text.append("  (to download)", "yellow")
    text.append("\n")
    for i, (_, title) in enumerate(plan.steps, 1):
        text.append(f"{i:>2}. {title}\n", "bright_black")
    for problem in plan.problems:
        text.append(f"✖ {problem}\n", "red")
    return text
