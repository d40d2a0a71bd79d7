"""Identity blocks written into existing CTs: apps that `migrate` imported from Proximity v1
(whose CTs carry no block) get theirs at once, so a second instance can adopt them without
waiting for their next update or restore (issue 18).

One journaled operation (kind `identify`, the apps locked): one `/cluster/resources`, then per
app one config read and, when the description differs, one `PUT .../config` (`write_identity`:
the user's text around the block is kept). A CT whose description already names another app
(deployed by another database) is left as it is: a block is never taken over. A CT the cluster
does not hold, or one that refuses the write, is a warning: the app is migrated all the same,
and its next update or restore writes the block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proximity_tui.errors import ProximityError
from proximity_tui.services.identity import app_id_of, from_app, write_identity
from proximity_tui.services.operations.shape import OperationDeps, OperationSpec, StepDef, bind

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView


async def _write(deps: OperationDeps, apps: list[AppView], ctx: OperationContext) -> None:
    present = {g.vmid for g in await deps.client.cluster_resources() if g.type == "lxc"}
    result: dict[str, dict] = {"written": {}, "current": {}, "left": {}}
    for app in apps:
        if app.vmid not in present:
            result["left"][app.id] = f"no CT {app.vmid} on the cluster"
            continue
        try:
            config = await deps.client.ct_config(app.node, app.vmid)
            named = app_id_of(config.description)
            if named not in (None, app.id):
                why = f"CT {app.vmid} carries the identity of the app {named}: left as it is"
                result["left"][app.id] = why
                ctx.log(why, level="warning")
                continue
            if await write_identity(deps.client, app.node, app.vmid, from_app(app)):
                result["written"][app.id] = app.vmid
                ctx.log(f"identity block written to CT {app.vmid} ({app.hostname})")
            else:
                result["current"][app.id] = app.vmid
        except ProximityError as exc:
            result["left"][app.id] = str(exc)
            ctx.log(f"CT {app.vmid} ({app.hostname}): identity block not written: {exc}", "warning")
    ctx.state["result"] = result


def _done(ctx: OperationContext) -> str:
    result = ctx.state.get("result") or {}
    count = len(result.get("written", ()))
    left = len(result.get("left", ()))
    return f"identity block written to {count} CT{'s' if count != 1 else ''}" + (
        f", {left} left" if left else ""
    )


def identify(deps: OperationDeps, apps: list[AppView]) -> OperationSpec:
    table = (StepDef("identity", "Write the identity blocks", _write),)
    return OperationSpec(
        "identify",
        None,
        None,
        bind(table, deps, list(apps)),
        success_message=_done,
        parameters={"apps": [a.id for a in apps]},
        lock=[a.id for a in apps],
    )
