"""Parts of the app detail screen: the summary and settings texts, and the scrollable panes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from proximity_tui.widgets.follow_log import FollowLog
from proximity_tui.widgets.format import (
    human_bytes,
    local_time,
    one_line,
    percent,
    plural,
    uptime,
)
from proximity_tui.widgets.status_badge import doing_label, status_text
from proximity_tui.widgets.vim_keys import VimScroll

if TYPE_CHECKING:
    from proximity_tui.views import AppView

LOG_LINES = 5000


def summary_text(
    view: AppView, pending: str | None = None, *, compact: bool = False, width: int = 76
) -> Text:
    """Name, status and URL first (never pushed off by an error), then the facts.

    `compact` (small terminals): the facts on two lines, the timestamps left to `dates_text`,
    the reason on one line of `width` cells.
    """
    text = Text()
    text.append(view.hostname, "bold")
    text.append(f"  {view.name}", "bright_black")
    text.append("\n")
    if pending:  # what is happening replaces the status it happens to ("◐ restoring…")
        text.append(doing_label(pending), "italic cyan")
    else:
        text.append_text(status_text(view.status, stale=view.stale))
    if view.busy_op and not pending:
        text.append(f"  operation #{view.busy_op} running", "italic cyan")
    text.append(f"\n{'URL':<9}", "bold")
    if view.url:
        # A terminal hyperlink (OSC 8): Rich's `link` style.
        text.append(view.url, style=f"link {view.url}")
    else:
        text.append("-")
    if view.reason:
        reason = one_line(view.reason, max(width, 20)) if compact else view.reason
        text.append(f"\n{reason}", "red" if view.status == "error" else "yellow")
    if unknown := unknown_values(view):
        text.append(f"\n{plural(len(unknown), 'value')} unknown (e enters or generates)", "yellow")
    live = view.live
    running = live is not None and live.status == "running"
    if compact:
        # CPU and memory are next to the sparklines; the rest fits on two lines.
        facts = [f"Node {view.node}", f"VMID {view.vmid}", f"Owner {view.owner or '-'}"]
        text.append("\n" + " · ".join(facts))
        if live is not None and running:
            more = [f"Up {uptime(live.uptime)}", f"{plural(live.cores, 'core')}"]
            if live.maxdisk:
                more.append(f"Disk {human_bytes(live.disk)}/{human_bytes(live.maxdisk)}")
            text.append("\n" + " · ".join(more))
    else:
        rows = [
            ("Node", view.node),
            ("VMID", str(view.vmid)),
            ("Owner", view.owner or "-"),
            ("Created", local_time(view.created_at)),
            ("Updated", local_time(view.updated_at)),
        ]
        if live is not None and running:
            rows.append(("Uptime", uptime(live.uptime)))
            rows.append(("CPU", f"{percent(live.cpu)} of {plural(live.cores, 'core')}"))
            rows.append(("Memory", f"{human_bytes(live.mem)} of {human_bytes(live.maxmem)}"))
            if live.maxdisk:
                rows.append(("Disk", f"{human_bytes(live.disk)} of {human_bytes(live.maxdisk)}"))
        for label, value in rows:
            text.append(f"\n{label:<9}", "bold")
            text.append(value)
    return text


def unknown_values(view: AppView) -> list[str]:
    """Environment values adopt could not know (only the old database held them)."""
    return [str(n) for n in view.config.get("environment_unknown") or ()]


def dates_text(view: AppView) -> Text:
    """Created and updated, for the compact layout (beside the summary, under the sparklines)."""
    text = Text()
    text.append("Created ", "bold")
    text.append(local_time(view.created_at, seconds=False))
    text.append("\nUpdated ", "bold")
    text.append(local_time(view.updated_at, seconds=False))
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


class PaneScroll(VimScroll):
    """A tab's text, focusable and scrolled with the arrows or j/k."""


class LogView(FollowLog):
    """The log lines, wrapped to the width by default (`w` toggles); arrows or j/k scroll."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_lines=LOG_LINES, wrap=True, **kwargs)
