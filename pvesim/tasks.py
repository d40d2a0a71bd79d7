"""PVE worker tasks: UPIDs, `running` -> `stopped` with an exit status, and their logs.

A task runs as an asyncio task on the simulator's loop. Its body takes realistic (scaled) time
through `Task.step()`, calls `Task.checkpoint()` right before it changes the world (where an
injected task fault makes it fail), and raises `TaskError` to end with `TASK ERROR: ...`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pvesim.errors import TaskError
from pvesim.faults import FaultRule

if TYPE_CHECKING:
    from pvesim.clock import Clock
    from pvesim.faults import FaultSet

log = logging.getLogger(__name__)

#: What a stopped task says when `DELETE /nodes/{node}/tasks/{upid}` interrupted it.
INTERRUPTED = "received interrupt"


def make_upid(node: str, pid: int, pstart: int, starttime: int, kind: str, ident: str, user: str):
    return f"UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{kind}:{ident}:{user}:"


def parse_upid(upid: str) -> dict[str, Any] | None:
    parts = upid.split(":")
    if len(parts) != 9 or parts[0] != "UPID" or parts[8] != "":
        return None
    try:
        pid, pstart, starttime = (int(p, 16) for p in parts[2:5])
    except ValueError:
        return None
    return {
        "node": parts[1],
        "pid": pid,
        "pstart": pstart,
        "starttime": starttime,
        "type": parts[5],
        "id": parts[6],
        "user": parts[7],
    }


@dataclass
class Task:
    upid: str
    node: str
    pid: int
    pstart: int
    starttime: int
    type: str
    id: str
    user: str
    clock: Clock
    vmid: int | None = None
    status: str = "running"
    exitstatus: str | None = None
    endtime: int | None = None
    lines: list[str] = field(default_factory=list)
    warnings: int = 0
    fault: FaultRule | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    runner: asyncio.Task | None = None

    # --- used by task bodies ---

    def log(self, *lines: str) -> None:
        for line in lines:
            self.lines.extend(line.split("\n"))

    def warn(self, message: str) -> None:
        self.warnings += 1
        self.lines.append(f"WARN: {message}")

    async def step(self, seconds: float, *lines: str) -> None:
        """Take `seconds` of simulated time, then log `lines`."""
        await self.clock.sleep(seconds)
        self.log(*lines)

    def checkpoint(self) -> None:
        """Where an injected task fault strikes: just before the task's effect."""
        if self.fault is not None and self.fault.task_error:
            raise TaskError(self.fault.task_error)

    # --- read by the API ---

    @property
    def ok(self) -> bool:
        return self.status == "stopped" and self.exitstatus == "OK"

    def status_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "upid": self.upid,
            "node": self.node,
            "pid": self.pid,
            "pstart": self.pstart,
            "starttime": self.starttime,
            "type": self.type,
            "id": self.id,
            "user": self.user,
            "status": self.status,
        }
        if self.status == "stopped":
            data["exitstatus"] = self.exitstatus
        return data

    def log_page(self, start: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Lines `start`.. (at most `limit`), numbered from 1, and the total, like PVE."""
        total = len(self.lines)
        page = [
            {"n": i + 1, "t": text}
            for i, text in enumerate(self.lines[start : start + limit], start=start)
        ]
        if not page:
            page = [{"n": 1, "t": "no content"}]
        return page, total


TaskBody = Callable[[Task], Awaitable[None]]
#: Called with the task and its error text when the body failed (undo partial work).
TaskCleanup = Callable[[Task, str], Awaitable[None] | None]


class TaskRunner:
    """Creates and runs tasks; keeps them by UPID for the status and log endpoints."""

    def __init__(
        self, clock: Clock, faults: FaultSet, on_finish: Callable[[Task], None] | None = None
    ) -> None:
        self.clock = clock
        self.faults = faults
        #: Called when any task has stopped (the state refreshes what listings show).
        self.on_finish = on_finish
        self.tasks: dict[str, Task] = {}
        self._pids: dict[str, int] = {}

    def spawn(
        self,
        node: Any,
        kind: str,
        ident: str,
        user: str,
        body: TaskBody,
        *,
        vmid: int | None = None,
        cleanup: TaskCleanup | None = None,
        finally_: Callable[[Task], None] | None = None,
    ) -> Task:
        now = self.clock.time()
        node.next_pid += 1 + (node.next_pid % 7)
        pid = node.next_pid
        pstart = int(max(0.0, now - node.boot_time) * 100)
        upid = make_upid(node.name, pid, pstart, int(now), kind, ident, user)
        task = Task(
            upid=upid,
            node=node.name,
            pid=pid,
            pstart=pstart,
            starttime=int(now),
            type=kind,
            id=ident,
            user=user,
            clock=self.clock,
            vmid=vmid,
        )
        task.fault = self.faults.match_task(kind, node=node.name, vmid=vmid)
        self.tasks[upid] = task
        task.runner = asyncio.get_running_loop().create_task(
            self._run(task, body, cleanup, finally_), name=f"pve-task-{kind}-{ident}"
        )
        return task

    def get(self, upid: str) -> Task | None:
        return self.tasks.get(upid)

    def stop(self, task: Task) -> None:
        """`DELETE .../tasks/{upid}`: interrupt a running task (no-op once stopped)."""
        if task.status == "running" and task.runner is not None:
            task.runner.cancel()

    async def _run(self, task: Task, body: TaskBody, cleanup, finally_) -> None:
        error: str | None = None
        try:
            gate = self.faults.gate_of(task.fault)
            if gate is None:
                await self._body(task, body)
            elif task.fault.gate_at == "end":  # a test facility: done, not ended until opened
                await self._body(task, body)
                async with gate.hold():
                    pass
            else:  # a test facility: held until the test opens it (or stopped)
                async with gate.hold():
                    await self._body(task, body)
        except TaskError as exc:
            error = exc.message
        except asyncio.CancelledError:
            error = INTERRUPTED
        except Exception as exc:  # a simulator bug must still end the task, visibly
            log.exception("task %s crashed", task.upid)
            error = f"internal simulator error: {exc}"
        if error is not None and cleanup is not None:
            try:
                result = cleanup(task, error)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # pragma: no cover - cleanup must not hide the first error
                log.exception("cleanup of task %s failed", task.upid)
        if finally_ is not None:
            finally_(task)
        self._finish(task, error)

    @staticmethod
    async def _body(task: Task, body: TaskBody) -> None:
        if task.fault is not None and task.fault.delay:
            await asyncio.sleep(task.fault.delay)
        await body(task)

    def _finish(self, task: Task, error: str | None) -> None:
        if error is None:
            task.exitstatus = f"WARNINGS: {task.warnings}" if task.warnings else "OK"
            task.lines.append("TASK OK" if not task.warnings else f"TASK WARNINGS: {task.warnings}")
        else:
            # PVE's worker: chomp, then every newline becomes a space
            text = error.rstrip("\n").replace("\n", " ")
            task.exitstatus = text
            task.lines.append(f"TASK ERROR: {text}")
        task.status = "stopped"
        task.endtime = int(self.clock.time())
        task.done.set()
        if self.on_finish is not None:
            self.on_finish(task)


async def wait_task(task: Task) -> Task:
    await task.done.wait()
    return task
