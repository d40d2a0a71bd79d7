"""How one app (or orphan) becomes a row of the apps table: raw values, cells and sort keys.

Raw values are small hashable tuples so the screen can compare what a row shows with what it
should show and update only the cells that differ. Below `COMPACT_BELOW` columns the table is
compact: Node, Uptime and URL are left out (the line under the table shows them for the
highlighted app), names are cut and Memory reads `210M/512M`, so a row fits 80 columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from proximity_tui.screens.actions import ACTIONS
from proximity_tui.widgets.column_fit import Flex
from proximity_tui.widgets.format import human_bytes, one_line, percent, uptime
from proximity_tui.widgets.lazy_cell import LazyCell
from proximity_tui.widgets.status_badge import doing_label, status_label

if TYPE_CHECKING:
    from proximity_tui.views import AppView, OrphanView

COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", " "),
    ("status", "Status"),
    ("name", "App"),
    ("hostname", "Hostname"),
    ("node", "Node"),
    ("vmid", "VMID"),
    ("cpu", "CPU"),
    ("mem", "Memory"),
    ("uptime", "Uptime"),
    ("url", "URL"),
)
#: Fixed widths for cells that change on every refresh (auto widths would not grow with them);
#: wide enough for the label and its sort arrow.
WIDTHS = {"mark": 1, "status": 14, "vmid": 6, "cpu": 6, "mem": 15, "uptime": 8}
#: A terminal narrower than this gets the compact table.
COMPACT_BELOW = 100
COMPACT_COLUMNS = frozenset({"mark", "status", "name", "hostname", "vmid", "cpu", "mem"})
COMPACT_WIDTHS = {**WIDTHS, "mem": 11}
#: Name and hostname are cut to these lengths in the compact table.
COMPACT_NAME, COMPACT_HOST = 12, 14
#: When the full table is wider than the screen, names and hostnames give room first (widest
#: first), then the node; a URL is never cut: it shows whole or as `…` (the line under the
#: table then names it).
FLEX = {
    "name": Flex(tier=0, minimum=8, elide="words"),
    "hostname": Flex(tier=0, minimum=8),
    "node": Flex(tier=1, minimum=4),
    "url": Flex(tier=2, minimum=1, elide="whole"),
}
SORTABLE = ("status", "name", "hostname", "node", "vmid", "cpu", "mem", "uptime")
VMID_INDEX = 5


_COMPACT = tuple(c for c in COLUMNS if c[0] in COMPACT_COLUMNS)
#: (index in a row's values, column key) of the columns each table shows.
_LAYOUTS = {
    compact: tuple(
        (i, c) for i, (c, _) in enumerate(COLUMNS) if not compact or c in COMPACT_COLUMNS
    )
    for compact in (False, True)
}


def columns(compact: bool) -> tuple[tuple[str, str], ...]:
    return _COMPACT if compact else COLUMNS


def layout(compact: bool) -> tuple[tuple[int, str], ...]:
    return _LAYOUTS[compact]


def widths(compact: bool) -> dict[str, int]:
    return COMPACT_WIDTHS if compact else WIDTHS


def short_bytes(n: int | float | None) -> str:
    """`210M`, `1.5G`: memory in at most 4 characters for the compact table."""
    text = human_bytes(n)
    if text.endswith("M") or text.endswith("K"):
        return f"{float(text[:-1]):.0f}{text[-1]}"
    return text


def row_values(view: AppView, *, marked: bool, pending: str | None, compact: bool = False) -> tuple:
    live = view.live
    running = live is not None and live.status == "running"
    cpu = percent(live.cpu) if running and live is not None else "-"
    size = short_bytes if compact else human_bytes
    if live is not None and live.maxmem:
        mem = f"{size(live.mem)}/{size(live.maxmem)}" if running else "-"
    else:
        mem = "-"
    # This UI's own action first; else what any operation (the CLI's, a restore from the detail
    # screen, one started before this UI) is doing, as the status snapshot says.
    doing = doing_word(view, pending)
    return (
        marked,
        (view.status, view.stale, doing, view.busy_op is not None),
        one_line(view.name, COMPACT_NAME if compact else 40),
        one_line(view.hostname, COMPACT_HOST) if compact else view.hostname,
        view.node,
        view.vmid,
        cpu,
        mem,
        uptime(live.uptime) if running and live is not None else "-",
        view.url or "",
    )


#: Operation kinds that are not row actions, in the form "◐ restoring…".
_OTHER_PARTICIPLES = {"restore": "restoring", "deploy": "deploying"}


def doing_word(view: AppView, pending: str | None) -> str | None:
    """What is happening to the app now ("updating", "restoring"), or None: this UI's own action
    first, else what any operation on it is doing, as the status snapshot says."""
    if pending in ACTIONS and ACTIONS[pending][3]:
        return ACTIONS[pending][3]
    return busy_participle(view.busy_kind)


def busy_participle(kind: str | None) -> str | None:
    if kind is None:
        return None
    if kind in ACTIONS and ACTIONS[kind][3]:
        return ACTIONS[kind][3]
    return _OTHER_PARTICIPLES.get(kind)


def orphan_row(orphan: OrphanView, *, marked: bool, compact: bool = False) -> tuple:
    return (
        marked,
        ("orphan", False, None, False),
        one_line(orphan.name or "(unnamed)", COMPACT_NAME if compact else 40),
        "— no record —",
        orphan.node,
        orphan.vmid,
        "-",
        "-",
        "-",
        one_line(orphan.status, 20),
    )


def render_cell(column: str, value: Any) -> LazyCell:
    if column == "mark":
        # Not `●`, the running badge: a mark must not read as a status.
        return LazyCell("✓", "bold magenta") if value else LazyCell("")
    if column == "status":
        status, stale, doing, busy = value
        if doing:  # an action from this UI is running: say what, instead of the old status
            return LazyCell(doing_label(doing), "italic cyan")
        label, style = status_label(status, busy=busy)
        return LazyCell(label, f"{style} dim" if stale else style)
    if column == "hostname" and value == "— no record —":
        return LazyCell(value, "italic yellow")
    if column in ("vmid", "cpu", "mem", "uptime"):
        return LazyCell(str(value), justify="right")
    if column == "url":
        return LazyCell(str(value), "underline" if value.startswith("http") else "dim")
    return LazyCell(str(value))


#: Columns whose cells repeat from row to row (the mark, a status, a node, `-`).
SHARED = frozenset({"mark", "status", "node", "cpu", "mem", "uptime"})
#: At most this many shared cells are kept (live figures make new ones at every tick).
SHARED_MAX = 4096


def cell_maker() -> Callable[[str, Any], LazyCell]:
    """`render_cell`, with one cell per (column, value) of the SHARED columns for every row
    that shows it: a table of 1,000 apps has 6,000 such cells and only a few dozen distinct
    ones. A cell is never changed once made (an update replaces it), so sharing is safe. One
    maker per screen: the glyphs a status is drawn with are chosen once per app."""
    memo: dict[tuple[str, Any], LazyCell] = {}

    def cell(column: str, value: Any) -> LazyCell:
        if column not in SHARED:
            return render_cell(column, value)
        key = (column, value)
        found = memo.get(key)
        if found is None:
            if len(memo) >= SHARED_MAX:
                memo.clear()
            found = memo[key] = render_cell(column, value)
        return found

    return cell


def sort_value(column: str | None, view: AppView | None, orphan: OrphanView | None) -> tuple:
    """A key that sorts apps by `column` (orphans last within equal keys)."""
    if orphan is not None:
        fields = {
            "status": "orphan",
            "name": orphan.name.lower(),
            "hostname": "",
            "node": orphan.node,
            "vmid": orphan.vmid,
            "cpu": -1.0,
            "mem": -1,
            "uptime": -1,
        }
        return (fields.get(column or "name", ""), 1, orphan.vmid)
    assert view is not None
    live = view.live
    fields = {
        "status": view.status,
        "name": view.name.lower(),
        "hostname": view.hostname,
        "node": view.node,
        "vmid": view.vmid,
        "cpu": live.cpu if live else -1.0,
        "mem": live.mem if live else -1,
        "uptime": live.uptime if live else -1,
    }
    return (fields.get(column or "name", ""), 0, view.vmid)


def summary(view: AppView) -> str:
    """The compact table's line for the highlighted app: what its hidden columns say."""
    live = view.live
    parts = [view.hostname, view.url or "no URL", f"on {view.node}"]
    if live is not None and live.status == "running" and live.uptime:
        parts.append(f"up {uptime(live.uptime)}")
    if live is not None and live.maxmem and live.status == "running":
        parts.append(f"{human_bytes(live.mem)}/{human_bytes(live.maxmem)}")
    return " · ".join(parts)


def hint_text(
    view: AppView | None, orphan: OrphanView | None, *, marked: int, with_summary: bool
) -> str:
    """The line(s) under the table for the highlighted row: its summary when columns are hidden
    or cut off, the marks, and what to do about an orphan, a missing app or an error."""
    lines = []
    if with_summary and view is not None:
        lines.append(summary(view))
    text = f"{marked} marked: action keys apply to all of them (Esc unmarks). " if marked else ""
    if orphan is not None:
        text += (
            f"CT {orphan.vmid} on {orphan.node} is tagged 'proximity' but no app record knows "
            "it. A adopts it (from its identity block); D destroys it if it is debris."
        )
    elif view is not None:
        if view.status == "missing":
            text += (
                f"The container of {view.hostname} (CT {view.vmid}) is gone from Proxmox. "
                "D deletes the record."
            )
        elif view.status == "error":
            text += f"{view.hostname}: error: {view.reason or 'unknown cause'}"
        elif view.reason:
            text += f"{view.hostname}: {view.reason}"
    if text.strip():
        lines.append(text.strip())
    return "\n".join(lines)
