"""What every operation needs: the config lock, PVE's `lock` property, and spawning a task."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from pvesim.errors import PveError, perm_error
from pvesim.tasks import Task, TaskBody, TaskCleanup, wait_task

if TYPE_CHECKING:
    from pvesim.model import Guest

#: How long PVE waits for a guest's config lock file before giving up (simulated seconds).
LOCK_TIMEOUT = 10.0

_VOLID = re.compile(r"([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)", re.I)


def parse_volid(volid: str) -> tuple[str, str]:
    match = _VOLID.fullmatch(volid)
    if not match:
        raise PveError(500, f"unable to parse volume ID '{volid}'")
    return match.group(1), match.group(2)


def parse_features(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key] = value
    return out


def check_feature_permission(
    user: str, new: str | None, old: str | None, *, unprivileged: bool
) -> None:
    """Only root@pam itself may change feature flags other than `nesting` (tokens may not),
    and any flag of a privileged CT."""
    if user == "root@pam" or new is None:
        return
    if not unprivileged:
        raise perm_error(
            "changing feature flags for privileged container is only allowed for root@pam"
        )
    features = parse_features(new)
    other_changed = False
    if old:
        before = parse_features(old)
        for key in set(before) | set(features):
            if key != "nesting" and before.get(key, "0") != features.get(key, "0"):
                other_changed = True
    elif not (len(features) == 1 and features.get("nesting") == "1") and features:
        other_changed = True
    if other_changed:
        raise perm_error("changing feature flags (except nesting) is only allowed for root@pam")


class OpsBase:
    """Shared by the `ops_*` mixins of `ClusterState` (which provides the attributes used)."""

    guests: dict[int, Guest]

    async def wait_config_lock(self, guest: Guest) -> None:
        """Wait for the task holding `guest`'s config lock file, up to PVE's 10 s (scaled)."""
        task = guest.busy
        if task is None:
            return
        try:
            await asyncio.wait_for(
                asyncio.shield(task.done.wait()), self.clock.scaled(LOCK_TIMEOUT)
            )
        except TimeoutError:
            raise PveError(
                500, f"can't lock file '/run/lock/lxc/pve-config-{guest.vmid}.lock' - got timeout"
            ) from None

    @staticmethod
    def check_lock(guest: Guest) -> None:
        lock = guest.config.get("lock")
        if lock:
            kind = "CT" if guest.type == "lxc" else "VM"
            raise PveError(500, f"{kind} is locked ({lock})")

    def spawn(
        self,
        node: str,
        kind: str,
        ident: str,
        user: str,
        body: TaskBody,
        *,
        vmid: int | None = None,
        cleanup: TaskCleanup | None = None,
        hold: Guest | None = None,
        lock: tuple[Guest, str] | None = None,
    ) -> Task:
        """Start a task. `hold` keeps the guest's config lock file for the task's life; `lock`
        sets its `lock` config property meanwhile (and clears it at the end)."""
        if lock is not None:
            lock[0].config["lock"] = lock[1]

        def release(task: Task) -> None:
            if hold is not None and hold.busy is task:
                hold.busy = None
            if lock is not None and lock[0].config.get("lock") == lock[1]:
                del lock[0].config["lock"]

        task = self.tasks.spawn(
            self.node(node), kind, ident, user, body, vmid=vmid, cleanup=cleanup, finally_=release
        )
        if hold is not None:
            hold.busy = task
        return task

    async def wait_task(self, task: Task) -> Task:
        """Wait until a task has stopped; returns it (check `task.exitstatus`)."""
        return await wait_task(task)

    # provided by ClusterState
    clock: Any
    tasks: Any
    profile: Any
    release: Any
    access: Any
