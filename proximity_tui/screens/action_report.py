"""What an app action tells the admin: its progress screen while it runs, a toast at the end.

Update, clone, backup and restore of one app open the operation's progress screen (its steps, log
and result, as a deploy's) as soon as the operation has an id; the toast at the end stays, since
the admin may have left that screen. A failure's toast says whether the operation rolled back.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from proximity_tui.views import AppView

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp
    from proximity_tui.services.operations.shape import OnStart

#: Actions long enough to watch: run on one app, they open the progress screen.
WITH_PROGRESS = frozenset({"update", "clone", "backup", "restore"})


def progress_opener(app: ProximityApp) -> OnStart:
    """An `on_start` for the service call: opens the operation's progress screen on the UI's loop
    (the call runs on the service loop, usually another thread)."""
    loop = asyncio.get_running_loop()

    def started(op_id: int) -> None:
        loop.call_soon_threadsafe(app.open_progress, op_id)

    return started


def describe_error(exc: BaseException) -> str:
    from proximity_tui.errors import ProximityError

    if isinstance(exc, ProximityError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def failure_text(label: str, hostname: str, exc: BaseException) -> str:
    """`Update web failed: …`, saying what the rollback did when the operation ran one."""
    status = getattr(exc, "status", None)
    undo_errors = getattr(exc, "undo_errors", None) or []
    why = describe_error(exc)
    if status == "rolled_back" and getattr(exc, "cancelled", False):
        return f"{label} {hostname} cancelled and rolled back (nothing changed)"
    if status == "rolled_back":
        return f"{label} {hostname} failed and was rolled back (nothing changed): {why}"
    if undo_errors:
        return f"{label} {hostname} failed and rolling back failed too: {why}; " + "; ".join(
            undo_errors
        )
    return f"{label} {hostname} failed: {why}"


def success_text(action: str, past: str, view: AppView, result: object) -> str:
    if action == "clone" and isinstance(result, AppView):
        return f"Cloned {view.hostname} to {result.hostname}"
    # Imported here: the start-up path imports this module, and needs no backup view.
    from proximity_tui.service_views import BackupView

    if action == "backup" and isinstance(result, BackupView):
        from proximity_tui.widgets.format import human_bytes

        return f"Backed up {view.hostname}: {result.volid} ({human_bytes(result.size)})"
    return f"{past} {view.hostname}"
