"""How `Containers` waits: for a condition with a deadline (`until`), for a CT another task holds
(`when_free`), for a CT a lost call may still create (`appears`).

A mixin of `Containers`: the operations call these through the same object. No wait sleeps a
fixed time: each looks again with a growing pause, up to a deadline, and a long one writes a
heartbeat line into the operation's log.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from proximity_tui.errors import ProxmoxError, ProxmoxTimeout
from proximity_tui.proxmox.tasks import STEADY_PAUSE, next_pause
from proximity_tui.services.heartbeat import Heartbeat

if TYPE_CHECKING:
    from proximity_tui.proxmox.models import Guest
    from proximity_tui.services.operations.context import OperationContext

T = TypeVar("T")
#: PVE's words for a CT another task holds (or started again meanwhile): worth another try.
BUSY_MESSAGES = ("can't lock file", "is locked", "container is running", "CT is running")


class WaitTimeout(ProxmoxTimeout):
    """A condition waited for (an address, healthy services) did not come in time; unlike a
    call that timed out, every call was answered."""


class Waits:
    if TYPE_CHECKING:  # provided by Containers
        task_timeout: float
        poll: float
        heartbeat: float

        async def status(self, node: str, vmid: int) -> Guest | None: ...

    async def when_free(
        self, ctx: OperationContext, what: str, call: Callable[[], Awaitable[T]]
    ) -> T:
        """`call()`, again while Proxmox refuses it because another task holds the CT: two deploys
        on one node clone its base at once, and clone_vm locks the source for the copy (the
        simulator models it: pvesim/ops_create.py clone_ct). A refusal created nothing, so
        trying again is safe (destroy uses it too); a lost answer (a timeout) is not retried."""
        loop = asyncio.get_running_loop()
        limit = min(self.task_timeout, 60.0)
        deadline = loop.time() + limit
        delay = 0.05
        heartbeat: Heartbeat | None = None
        while True:
            try:
                return await call()
            except ProxmoxError as exc:
                busy = any(m in exc.pve_message for m in BUSY_MESSAGES)
                if not busy or isinstance(exc, ProxmoxTimeout) or loop.time() >= deadline:
                    raise
                if heartbeat is None:  # one line when first refused, then a heartbeat
                    ctx.log(f"{what} is busy ({exc.pve_message}); trying again", level="warning")
                    waiting = f"waiting for {what} to be free"
                    heartbeat = Heartbeat(ctx, waiting, limit, self.heartbeat, loop.time())
                heartbeat.beat(loop.time(), exc.pve_message)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def appears(self, node: str, vmid: int, within: float) -> bool:
        """Whether CT `vmid` exists, or comes to exist within `within` seconds: after a create or
        clone call whose answer was lost, Proxmox may still carry it out a little later."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            if await self.status(node, vmid) is not None:
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(min(0.2, max(0.0, deadline - loop.time())))

    async def until(
        self,
        ctx,
        probe,
        timeout: float,
        what: str,
        last: list[str] | None = None,
        *,
        waiting: str,
        steady: float = STEADY_PAUSE,
    ):
        """Call `probe` until it returns a value, with a deadline; never a fixed sleep. While it
        waits, a heartbeat line says so ("waiting for X: attempt 6, 10s of 30s"). `steady`: the
        pause for the first seconds (`GET_PAUSE` where a look is one API GET, not a `pct exec`)."""
        loop = asyncio.get_running_loop()
        begun = loop.time()
        deadline = begun + timeout
        interval = min(self.poll, 0.05)
        heartbeat = Heartbeat(ctx, waiting, timeout, self.heartbeat, begun)
        while True:
            ctx.check_cancelled()
            value = await probe()
            if value is not None:
                return value
            heartbeat.beat(loop.time(), last[0] if last else None)
            if loop.time() >= deadline:
                detail = f": {last[0]}" if last and last[0] else ""
                raise WaitTimeout(f"{what} within {timeout:g}s{detail}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ctx.cancel_event.wait(), interval)
            # Every `poll` (0.25 s) for the first seconds (tasks.next_pause: leases, app starts
            # and Docker's first health probe end there), then growing by half to at most 1 s:
            # each look is a `pct exec` or an API call, and a coarser step adds its whole
            # length to what the user waits for.
            interval = next_pause(
                interval, loop.time() - begun, self.poll * 4, growth=1.5, steady=steady
            )
