"""The detail pane of a catalog entry, as one Rich `Text` (entries are data, never markup)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from proximity_tui.screens.catalog import entry_fits

if TYPE_CHECKING:
    from proximity_tui.service_views import NodeChoice
    from proximity_tui.services.catalog.model import CatalogEntry


def entry_detail(
    entry: CatalogEntry,
    nodes: list[NodeChoice],
    *,
    show_compose: bool = False,
    overrides: bool = False,
    deployed: list[str] | None = None,
) -> Text:
    text = Text()
    text.append(entry.name, "bold")
    if entry.version:
        text.append(f"  {entry.version}", "bright_black")
    if overrides:  # an import with --replace, a file of the user's, an overriding source
        where = f" ({entry.path})" if entry.path else ""
        text.append(
            f"\nReplaces the bundled {entry.id!r}: this {entry.source} entry{where} is deployed",
            "yellow",
        )
    if deployed:
        n = len(deployed)
        text.append(f"\nDeployed {n} time{'s' if n > 1 else ''}: {', '.join(deployed)}", "green")
    text.append(f"\n{entry.category}", "cyan")
    if entry.tags:
        text.append("  " + " ".join(f"#{t}" for t in entry.tags), "bright_black")
    text.append("\n\n")
    text.append(entry.description.strip() + "\n")
    if entry.website:
        text.append("\nWebsite  ", "bold")
        text.append(entry.website, style=f"link {entry.website}")
        text.append("\n")
    res = entry.resources
    text.append("\nResources  ", "bold")
    text.append(f"{res.cores} core(s), {res.memory} MB memory, {res.disk} GB disk")
    text.append(
        f"  (minimum {res.min_cores} / {res.min_memory} MB / {res.min_disk} GB)", "bright_black"
    )
    if nodes:
        fits = entry_fits(entry, nodes)
        text.append(
            "\n           fits on a node now" if fits else "\n           fits on no node now",
            "green" if fits else "red",
        )
    if entry.ports:
        text.append("\nPorts      ", "bold")
        text.append(
            ", ".join(
                f"{p.number}/{p.protocol}"
                + (" (web)" if p.web else "")
                + (f" {p.purpose}" if p.purpose else "")
                for p in entry.ports
            )
        )
    if entry.volumes:
        text.append("\nVolumes    ", "bold")
        text.append(
            ", ".join(f"{v.name}" + (f" → {v.path}" if v.path else "") for v in entry.volumes)
        )
    if entry.env:
        text.append("\nSettings   ", "bold")
        parts = []
        for var in entry.env:
            mark = "*" if var.required else ""
            kind = " (generated secret)" if var.secret else ""
            parts.append(f"{var.name}{mark}{kind}")
        text.append(", ".join(parts))
    if entry.ref != entry.id:
        text.append("\nSource     ", "bold")
        text.append(f"{entry.source} (converted from the store; deploy as {entry.ref})")
    for warning in entry.warnings:
        text.append(f"\n⚠ {warning}", "yellow")
    if entry.notes:
        text.append("\nConversion notes", "bold")
        for note in entry.notes:
            text.append(f"\n· {note}", "bright_black")
    text.append("\n\n")
    if show_compose:
        text.append("compose.yaml", "bold underline")
        text.append("  (y hides)\n", "bright_black")
        text.append(entry.compose_yaml(), "")
    else:
        text.append("y shows the compose file · Enter or d deploys", "bright_black")
    return text
