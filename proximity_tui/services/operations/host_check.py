"""Before an operation starts Docker containers on a node: the doctor's lxc-pve check.

A node whose lxc-pve predates the fix for runc 1.3.3 cannot start any Docker container inside an
unprivileged CT (`open sysctl net.ipv4.ip_unprivileged_port_start file: reopen fd 8: permission
denied`; see `doctor/versions.py`). Deploy, update, clone, restore and start would get as far as
`docker compose up` and then roll back; instead they ask first, with the doctor's own check
(`doctor/checks_host.lxc_pve_state`), and fail before changing anything, naming the cause and the
fix. Where the versions cannot be read (no Sys.Audit on the node) or no fix exists (PVE 7), the
operation goes on with a warning in its log: Docker may still work with an older runc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proximity_tui.errors import HostNotReady
from proximity_tui.services.doctor.checks_host import lxc_pve_state
from proximity_tui.services.doctor.model import OK

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.services.operations.shape import OperationDeps


async def docker_refusal(deps: OperationDeps, node: str) -> tuple[HostNotReady | None, str]:
    """(the error that refuses a Docker operation on `node`, or None; a warning to log, or "")."""
    state = await lxc_pve_state(deps.client, node, None)
    check = state.check
    if state.broken:
        return HostNotReady(
            f"Docker cannot start containers inside CTs on {node}: {check.detail}", fix=check.fix
        ), ""
    return None, ("" if check.status == OK else f"{check.name}: {check.detail}")


async def ensure_docker_runs(deps: OperationDeps, ctx: OperationContext, node: str) -> None:
    """Raise `HostNotReady` when Docker is known to fail inside CTs on `node`."""
    refusal, warning = await docker_refusal(deps, node)
    if refusal is not None:
        raise refusal
    if warning:
        ctx.log(warning, level="warning")
