"""A deploy whose app starts before the CT's DHCP lease (the base carries its images:
`base_images.py`).

The steps keep their order and names. The network step starts the wait for the address (and
the clone's disk growth) and returns; docker and compose run meanwhile (`compose up` with
`--pull never`: nothing needs the network); the health step takes the address first, so a
lease that never comes fails the deploy with the network's own error, and the app's URL is
known before it is recorded. A failure in between cancels the wait (the network step's undo).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.services.operations.deploy_request import DeployJob
    from proximity_tui.services.operations.shape import OperationDeps


def begin(job: DeployJob, ctx: OperationContext, lease: Awaitable[str]) -> None:
    """Wait for the address in the background (see the module docstring)."""
    job.lease = asyncio.ensure_future(lease)
    ctx.log(f"{job.early}: the app starts while the address comes")


async def address(job: DeployJob, ctx: OperationContext) -> None:
    """The address the network step began waiting for (nothing when it waited itself)."""
    if job.lease is None:
        return
    if not job.lease.done():
        ctx.log("waiting for the address")
    job.address = await job.lease
    job.lease = None


async def forget(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> str | None:
    """The network step's undo: stop a wait still running (it changes nothing by itself; the
    disk growth it may hold is the create step's CT, which that step's undo destroys)."""
    lease, job.lease = job.lease, None
    if lease is not None and not lease.done():
        lease.cancel()
        with contextlib.suppress(BaseException):
            await lease
    elif lease is not None and not lease.cancelled():
        lease.exception()  # retrieved: a failed wait the rollback made moot is not "never seen"
    return None
