"""AppService's view of the journal and of the operations running here: listing and reading
operations, their live events and plans, which apps are busy, cancelling and waiting.

A mixin of `AppService` (through `AdminOps`): the UI and the CLI call these on the same object.
The methods marked "any thread" read one copy of the live contexts and never await.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proximity_tui.service_views import OperationView
    from proximity_tui.services import events as ev
    from proximity_tui.services.journal import Journal
    from proximity_tui.services.late_effects import LateEffects
    from proximity_tui.services.operations.context import Operations


class JournalViews:
    if TYPE_CHECKING:  # provided by AppService
        journal: Journal
        ops: Operations
        _tasks: dict[int, asyncio.Task[Any]]
        late: LateEffects

    async def operations(
        self, *, limit: int = 500, app_id: str | None = None
    ) -> list[OperationView]:
        from proximity_tui.services.operations.views import operation_view

        records = await asyncio.to_thread(self.journal.list, limit=limit, app_id=app_id)
        return [operation_view(r) for r in records]

    async def operation(self, op_id: int, *, events: bool = True) -> OperationView:
        from proximity_tui.services.operations.views import operation_view

        return operation_view(await asyncio.to_thread(self.journal.get, op_id, events=events))

    def live_events(self, op_id: int) -> list[ev.OperationEvent]:
        ctx = self.ops.live.get(op_id)
        return list(ctx.history) if ctx is not None else []

    def running_operations(self) -> list[int]:
        return sorted(self.ops.live)

    def busy_apps(self) -> dict[str, tuple[int, str]]:
        """app id -> (operation id, kind) of every operation running now. Safe from any
        thread: it reads one copy of the live contexts."""
        live = dict(self.ops.live)
        return {ctx.app_id: (op, ctx.kind) for op, ctx in sorted(live.items()) if ctx.app_id}

    def running_kinds(self) -> list[str]:
        """The kind of every operation running now, by operation id (any thread): what the
        dashboard says is still running when it is asked to quit."""
        live = dict(self.ops.live)
        return [ctx.kind for _op, ctx in sorted(live.items())]

    def operation_plan(self, op_id: int) -> list[tuple[str, str]] | None:
        """(name, title) of every step of a running operation, the pending ones too, once its
        steps started (empty before; None when it is not running here): a progress screen
        opened mid-way lists them all."""
        ctx = self.ops.live.get(op_id)
        return list(ctx.plan) if ctx is not None else None

    def operation_for(self, app_id: str) -> int | None:
        """The live operation working on `app_id`, if any (any thread)."""
        working = self.busy_apps().get(app_id)
        return working[0] if working else None

    def cancel_operation(self, op_id: int, reason: str = "cancelled") -> bool:
        """Ask a running operation to stop (it rolls back); False when none runs with that id.
        Safe from any thread: the CLI's main thread and the dashboard's loop call it directly."""
        ctx = self.ops.live.get(op_id)
        if ctx is None:
            return False
        ctx.cancel(reason)
        return True

    async def wait_operation(self, op_id: int) -> OperationView:
        task = self._tasks.get(op_id)
        if task is not None:
            await asyncio.wait({task})
        return await self.operation(op_id)

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no operation started here is running (a late-effects sweep included);
        False if some still run."""
        tasks = set(self._tasks.values()) | self.late.running()
        if not tasks:
            return True
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        return not pending
