"""Text blocks of the app detail screen: the summary and the settings (ports, volumes, env)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from proximity_tui.widgets.format import human_bytes, local_time, percent, uptime
from proximity_tui.widgets.status_badge import status_text

if TYPE_CHECKING:
    from proximity_tui.services.views import AppView


def summary_text(view: AppView, pending: str | None = None) -> Text:
    text = Text()
    text.append(view.hostname, "bold")
    text.append(f"  {view.name}", "bright_black")
    text.append("\n")
    text.append_text(status_text(view.status, stale=view.stale))
    if pending:
        text.append(f"  {pending}…", "italic cyan")
    elif view.busy_op:
        text.append(f"  operation #{view.busy_op} running", "italic cyan")
    if view.reason:
        text.append(f"\n{view.reason}", "red" if view.status == "error" else "yellow")
    rows = [
        ("Node", view.node),
        ("VMID", str(view.vmid)),
        ("Owner", view.owner or "-"),
        ("Created", local_time(view.created_at)),
        ("Updated", local_time(view.updated_at)),
    ]
    live = view.live
    if live is not None and live.status == "running":
        rows.append(("Uptime", uptime(live.uptime)))
        rows.append(("CPU", f"{percent(live.cpu)} of {live.cores:g} core(s)"))
        rows.append(("Memory", f"{human_bytes(live.mem)} of {human_bytes(live.maxmem)}"))
        if live.maxdisk:
            rows.append(("Disk", f"{human_bytes(live.disk)} of {human_bytes(live.maxdisk)}"))
    for label, value in rows:
        text.append(f"\n{label:<9}", "bold")
        text.append(value)
    text.append(f"\n{'URL':<9}", "bold")
    if view.url:
        # A terminal hyperlink (OSC 8): Rich's `link` style.
        text.append(view.url, style=f"link {view.url}")
    else:
        text.append("-")
    return text


def settings_text(view: AppView, revealed: dict[str, str] | None = None) -> Text:
    text = Text()
    text.append("Ports\n", "bold underline")
    if view.ports:
        for name, value in view.ports.items():
            text.append(f"  {name}: {value}\n")
    else:
        text.append("  none\n", "bright_black")
    text.append("\nVolumes\n", "bold underline")
    if view.volumes:
        for volume in view.volumes:
            text.append(f"  {volume}\n")
    else:
        text.append("  none\n", "bright_black")
    text.append("\nEnvironment", "bold underline")
    secrets = set(view.secret_names)
    if secrets:
        text.append("  (v reveals secrets)" if not revealed else "  (v hides secrets)", "dim")
    text.append("\n")
    if not view.environment:
        text.append("  none\n", "bright_black")
    for name, value in view.environment.items():
        text.append(f"  {name}=", "cyan")
        if name in secrets and revealed and name in revealed:
            text.append(revealed[name], "yellow")
        else:
            text.append(value)
        text.append("\n")
    return text
