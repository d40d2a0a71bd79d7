""" "While you were away": operations a dropped session left running, reported once at the next
start (issue 16, missing 1).

When the SSH session drops (SIGHUP), the dashboard exits at once and its operations finish or roll
back headless (`commands/tui.py`); nobody sees how they end. `remember` notes their ids under the
user's own settings key before the services close; the user's next dashboard reads them back with
`take`: one line per operation ("deploy of ntfy succeeded", "update of wiki failed: ..."), and
forgets those that ended, so each is said once. A session that may not change things (read-only,
a viewer) reads without forgetting: it writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from proximity_tui.errors import NotFoundError
from proximity_tui.services.journal import Journal, OperationRecord
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import Database


def _key(username: str) -> str:
    return f"away:{username}"


def remember(db: Database, username: str, op_ids: Iterable[int]) -> None:
    """Add `op_ids` to what `username`'s next start reports."""
    with db.session() as s:
        known = [i for i in repo.get_setting(s, _key(username), []) if isinstance(i, int)]
        repo.set_setting(s, _key(username), sorted({*known, *op_ids}))


def take(db: Database, journal: Journal, username: str, *, forget: bool) -> list[str]:
    """One line per remembered operation; the ended ones are forgotten when `forget`."""
    with db.session(readonly=True) as s:
        ids = [i for i in repo.get_setting(s, _key(username), []) if isinstance(i, int)]
    if not ids:
        return []
    lines, pending = [], []
    for op_id in ids:
        try:
            op = journal.get(op_id, events=False)
        except NotFoundError:
            continue
        lines.append(outcome_line(op))
        if not op.finished:
            pending.append(op_id)
    if forget:
        with db.session() as s:
            repo.set_setting(s, _key(username), pending)
    return lines


def outcome_line(op: OperationRecord) -> str:
    """`deploy of ntfy succeeded`, `update of wiki rolled back: <error>`."""
    name = op.hostname or op.app_id or f"operation #{op.id}"
    if not op.finished:
        return f"{op.kind} of {name} is still running (operation #{op.id})"
    text = f"{op.kind} of {name} {op.status.replace('_', ' ')}"
    return text + (f": {op.error}" if op.status != "succeeded" and op.error else "")
