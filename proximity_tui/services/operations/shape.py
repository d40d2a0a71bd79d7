"""The one shape of every operation: a step table, a narrow dependency object, a spec.

An operation module (`lifecycle`, `backups`, `update`, `clone`, `deploy`) holds module-level
step functions `async def step(deps, job, ctx)` gathered in a table of `StepDef`s, and a function
of `OperationDeps` and its input that returns an `OperationSpec`: the journal row to open (kind,
app, hostname, parameters, locks), the steps bound to this run, what a failure leaves, and the
success message. `AppService` checks the role, takes the locks, opens the row and runs the spec
(`run_spec`): it is the only part that knows the whole service, the operations know only this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from proximity_tui.proxmox.once import reads_once
from proximity_tui.services.operations.pipeline import Step, StepFailed, describe, run_steps
from proximity_tui.services.overlap import beside

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.services.app_records import AppRecords
    from proximity_tui.services.containers import Containers
    from proximity_tui.services.operations.context import OperationContext

J = TypeVar("J")


@dataclass(frozen=True)
class OperationDeps:
    """Everything an operation may use, and nothing else of the service."""

    client: ProxmoxClient
    exec: ContainerExec
    containers: Containers
    records: AppRecords
    settings: DeploySettings
    #: The acting user, owner of the app rows an operation creates.
    user_id: int | None
    #: Proxmox refuses some settings to API tokens and to users other than root@pam.
    api_user: str = "root@pam"
    #: The acting user's name, written into the identity block of the CTs it creates.
    user_name: str = ""


@dataclass(frozen=True)
class StepDef(Generic[J]):
    """One row of an operation's step table: `do(deps, job, ctx)` and its `undo`.

    `job` is what this run works on (the app, a clone's new hostname, a deploy's resolved
    request); facts found on the way live in `ctx.state`, where undos and crash recovery read
    them. The title may depend on the job (`Restore <volid>`)."""

    name: str
    title: str | Callable[[J], str]
    do: Callable[[OperationDeps, J, OperationContext], Awaitable[None]]
    undo: Callable[[OperationDeps, J, OperationContext], Awaitable[str | None]] | None = None
    weight: float = 1.0


def bind(table: Sequence[StepDef[J]], deps: OperationDeps, job: J) -> list[Step]:
    """The table's steps for one run, as `pipeline.run_steps` runs them."""
    return [
        Step(
            d.name,
            d.title if isinstance(d.title, str) else d.title(job),
            partial(d.do, deps, job),
            partial(d.undo, deps, job) if d.undo is not None else None,
            d.weight,
        )
        for d in table
    ]


def titles(table: Sequence[StepDef[Any]]) -> list[tuple[str, str]]:
    """(name, title) of a table whose titles do not depend on the job."""
    return [(d.name, d.title) for d in table if isinstance(d.title, str)]


#: Told the id of an operation as soon as it has one (runs on the service loop; must not block).
OnStart = Callable[[int], None]

#: Given the failure, what it leaves (app status) and the operation's final status (None: the
#: default one).
OnFailure = Callable[["OperationContext", StepFailed], Awaitable[str | None]]


@dataclass
class OperationSpec:
    """One operation ready to run: the journal row to open, then the steps."""

    kind: str
    app_id: str | None
    hostname: str | None
    steps: list[Step]
    #: Or a function of the context, for a message that names what the steps chose (update and
    #: clone: which method they used).
    success_message: str | Callable[[OperationContext], str] = ""
    parameters: dict[str, Any] | None = None
    #: Keys held for the whole run: app ids, `hostname:<name>`, `vmid:<n>`.
    lock: Sequence[str] = ()
    #: Values the journal masks from the start (entered or generated secrets).
    secrets: Sequence[str] = ()
    on_failure: OnFailure | None = None
    #: An input check that reads the database (a deploy's hostname): it runs in the thread that
    #: opens the journal row, just before it, and raises on bad input: nothing is recorded.
    check: Callable[[], None] | None = None
    #: Filled by the steps when the operation has a result besides the app (a backup).
    result: dict[str, Any] = field(default_factory=dict)


async def run_spec(ctx: OperationContext, spec: OperationSpec, mask: Callable[[str], str]) -> None:
    """Run the steps and finish the operation: `succeeded`, `rolled_back` (a cancellation whose
    undos all ran), `failed`, or what the spec's `on_failure` says. Re-raises the failure. A
    node's storages and package versions are read once in the run (`proxmox/once.py`)."""
    with reads_once():
        await _run_spec(ctx, spec, mask)


async def _run_spec(ctx: OperationContext, spec: OperationSpec, mask: Callable[[str], str]) -> None:
    try:
        await run_steps(ctx, spec.steps)
    except StepFailed as failure:
        # What the caller shows the user is masked like the journal (a command's stderr may
        # print a secret).
        failure.message = mask(failure.message)
        status = "rolled_back" if failure.cancelled and not failure.undo_errors else "failed"
        if spec.on_failure is not None:
            status = await spec.on_failure(ctx, failure) or status
        failure.status = status  # the caller's message says "rolled back" when it was
        await ctx.finish(
            status,
            message=str(failure),
            error=str(failure),
            result={
                "failed_step": failure.step,
                "undone": failure.undone,
                "undo_errors": failure.undo_errors,
            },
        )
        raise
    except BaseException as exc:  # cancelled outside a step, or a bug: still journaled
        await asyncio.shield(ctx.finish("failed", error=describe(exc)))
        raise
    else:
        done = spec.success_message
        message = done(ctx) if callable(done) else done
        # A step may leave a summary for the operation's result (`ctx.state["result"]`).
        await ctx.finish(
            "succeeded", message=message or "done", result=ctx.state.get("result") or None
        )


async def hostname_conflict(
    deps: OperationDeps, name: str, *, apps_asked: bool = False
) -> str | None:
    """Who already uses the (valid, lower-case) hostname: an app, or any cluster guest. The
    cluster is listed while the database is asked (an app's answer comes first, as it did).
    `apps_asked`: the caller's journal row was written just after the apps were asked (the
    spec's `check`) and its row insert asks again atomically, so only the cluster is listed."""
    async with beside(deps.client.cluster_resources()) as listing:
        if not apps_asked and await deps.records.hostname_taken(name):
            return f"hostname {name!r} is already used by another app"
        guests = await listing
    for guest in guests:
        if guest.name.lower() == name:
            return f"hostname {name!r} is already used by {guest.type} {guest.vmid} on {guest.node}"
    return None
