"""What the operations do to one container, reporting every task line and command line.

`Containers` pairs the API client (tasks: start, stop, destroy, snapshot, ...) with `pct exec`
(Docker and Compose inside the CT: `containers_inside.py`). Every call takes the running
`OperationContext`, streams output into it, honours its cancellation and uses the configured
timeouts. No method sleeps a fixed time: waiting is always for a task or a condition, with a
deadline (`containers_wait.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
from typing import TYPE_CHECKING

from proximity_tui.errors import (
    ProximityError,
    ProxmoxConnectionError,
    ProxmoxError,
    ProxmoxTimeout,
)
from proximity_tui.proxmox.tasks import GET_PAUSE, STEADY_PAUSE
from proximity_tui.proxmox.upid import Upid
from proximity_tui.services.containers_inside import InsideContainer
from proximity_tui.services.containers_wait import Waits, WaitTimeout
from proximity_tui.services.heartbeat import HEARTBEAT_EVERY, Heartbeat
from proximity_tui.services.identity import app_id_of
from proximity_tui.services.network import NetworkPlan, dhcp_silence

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.proxmox.models import Guest
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView

APP_ROOT = "/opt/proximity"
TAG = "proximity"
#: Seconds to wait for the start a rollback with start=1 schedules before starting it ourselves.
ROLLBACK_START_WAIT = 30.0
#: An IPv4 address in `ip -o addr` output.
INET = re.compile(r"\binet (\d{1,3}(?:\.\d{1,3}){3})/")


def compose_dir(hostname: str) -> str:
    return f"{APP_ROOT}/{hostname}"


def compose_file(hostname: str) -> str:
    return f"{compose_dir(hostname)}/compose.yaml"


def app_compose_file(app: AppView) -> str:
    """Where an app's compose file is (a clone keeps its source's path)."""
    return str(app.config.get("compose_file") or compose_file(app.hostname))


class Containers(InsideContainer, Waits):
    def __init__(
        self,
        client: ProxmoxClient,
        exec_: ContainerExec,
        *,
        task_timeout: float = 600.0,
        health_timeout: float = 180.0,
        stop_timeout: float = 60.0,
        poll: float = 0.25,
    ) -> None:
        self.client = client
        self.exec = exec_
        self.task_timeout = task_timeout
        self.health_timeout = health_timeout
        self.stop_timeout = stop_timeout
        self.poll = poll
        #: Seconds between two heartbeat lines of a long wait (`until`, `when_free`).
        self.heartbeat = HEARTBEAT_EVERY

    # --- tasks ---

    async def task(self, ctx: OperationContext, upid: str, *, timeout: float | None = None) -> None:
        """Wait for the task, its log lines into the operation's log, and a heartbeat line
        while it writes none ("… waiting for task vzclone 105 on pve1: attempt 9, 12s of 600s")."""
        loop = asyncio.get_running_loop()
        limit = timeout or self.task_timeout
        waiting = f"waiting for task {Upid.parse(upid).label}"
        heartbeat = Heartbeat(ctx, waiting, limit, self.heartbeat, loop.time())

        def on_log(line: str) -> None:
            heartbeat.heard(loop.time())
            ctx.log(line)

        await self.client.wait_task(
            upid,
            timeout=limit,
            on_log=on_log,
            cancel=ctx.cancel_event,
            on_poll=lambda: heartbeat.beat(loop.time()),
        )

    async def status(self, node: str, vmid: int) -> Guest | None:
        """The CT's current status, or None when it does not exist (on that node)."""
        try:
            return await self.client.ct_status(node, vmid)
        except ProxmoxError as exc:
            if _absent(exc):
                return None
            raise

    async def start(
        self, ctx: OperationContext, node: str, vmid: int, *, starting: float = 0.0
    ) -> None:
        """Start the CT unless it runs. `starting`: seconds to wait first for a start Proxmox
        has already scheduled: a rollback with start=1 forks its own vzstart task after the
        rollback task ended (pve-container src/PVE/API2/LXC/Snapshot.pm rollback: `$realcmd`
        then `PVE::API2::LXC::Status->vm_start` when `start` is set), so the CT comes up a
        moment later. Either way a start that meets "already running" has what it wanted."""
        if starting > 0:

            async def running() -> bool | None:
                guest = await self.status(node, vmid)
                return True if guest is not None and guest.running else None

            with contextlib.suppress(ProxmoxTimeout):
                waiting = f"waiting for CT {vmid} to start"
                await self.until(ctx, running, starting, f"CT {vmid} started", waiting=waiting)
        guest = await self.status(node, vmid)
        if guest is not None and guest.running:
            ctx.log(f"CT {vmid} is already running")
            return
        try:
            await self.task(ctx, await self.client.ct_action(node, vmid, "start"))
        except ProxmoxError as exc:
            if "already running" not in exc.pve_message:
                raise
            ctx.log(f"CT {vmid} was started meanwhile ({exc.pve_message})")

    async def stop(
        self, ctx: OperationContext, node: str, vmid: int, *, graceful: bool = True
    ) -> None:
        """Shut down cleanly, then force a stop if that does not end in `stop_timeout`."""
        guest = await self.status(node, vmid)
        if guest is None or not guest.running:
            return
        if graceful:
            try:
                upid = await self.client.ct_action(
                    node, vmid, "shutdown", timeout=int(self.stop_timeout)
                )
                await self.task(ctx, upid, timeout=self.stop_timeout + 30)
                return
            except (ProxmoxTimeout, ProxmoxError) as exc:
                if ctx.cancel_event.is_set():
                    raise
                # A call that timed out may still have been carried out: look before forcing.
                guest = await self.status(node, vmid)
                if guest is None or not guest.running:
                    ctx.log(f"clean shutdown reported {exc}, but CT {vmid} is stopped")
                    return
                ctx.log(f"clean shutdown failed ({exc}); forcing a stop", level="warning")
        await self.task(ctx, await self.client.ct_action(node, vmid, "stop"))

    async def destroy(self, ctx: OperationContext, node: str, vmid: int) -> bool:
        """Stop (forced) and destroy with purge. False when there was nothing to destroy.

        Another task may still hold the CT (a call of ours that timed out can still be carried
        out by Proxmox, e.g. a start): while it is locked or came back running, look again and
        retry (`when_free`) rather than leave it behind."""

        async def once() -> bool:
            guest = await self.status(node, vmid)
            if guest is None:
                return False
            if guest.running:
                await self.task(ctx, await self.client.ct_action(node, vmid, "stop"))
            await self.task(ctx, await self.client.delete_ct(node, vmid, purge=True))
            return True

        return await self.when_free(ctx, f"CT {vmid}", once)

    async def owned_by(
        self, node: str, vmid: int, app_id: str, hostname: str | None = None
    ) -> bool:
        """Whether CT `vmid` is this app's (never destroy someone else's): our tag and the app's
        id in its description, or (apps migrated from Proximity v1 carry no tag) its hostname."""
        try:
            config = await self.client.ct_config(node, vmid)
        except ProxmoxError as exc:
            if _absent(exc):
                return False
            raise
        if TAG in config.tags and app_id_of(config.description) == app_id:
            return True
        return hostname is not None and config.hostname.lower() == hostname.lower()

    async def tagged(self, node: str, vmid: int) -> bool | None:
        """Whether CT `vmid` carries our tag (None: there is no such CT)."""
        try:
            config = await self.client.ct_config(node, vmid)
        except ProxmoxError as exc:
            if _absent(exc):
                return None
            raise
        return TAG in config.tags

    async def address(self, node: str, vmid: int) -> str | None:
        """eth0's IPv4 address: from the API where it has `.../interfaces` (PVE 8.1+), else
        from `ip -4 -o addr show dev eth0` inside the CT (PVE 7 has no such endpoint)."""
        if self.client.interfaces_supported is not False:
            try:
                return await self.client.ct_address(node, vmid)
            except ProxmoxError as exc:
                if exc.status != 501:  # "Method ... not implemented": an older PVE
                    raise
                self.client.interfaces_supported = False
        result = await self.exec.run(
            node, vmid, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"], check=False
        )
        found = INET.search(result.stdout) if result.exit_status == 0 else None
        return found.group(1) if found else None

    async def wait_address(
        self, ctx: OperationContext, node: str, vmid: int, *, timeout: float = 60.0
    ) -> str:
        async def address() -> str | None:
            return await self.address(node, vmid)

        ip = await self.until(
            ctx,
            address,
            timeout,
            f"CT {vmid} got no IPv4 address",
            waiting=f"waiting for CT {vmid}'s IPv4 address",
            # `.../interfaces` is one GET (pve-container `PVE/LXC.pm` get_interfaces: `ip` in the
            # CT's network namespace); PVE 7's look is a `pct exec`, kept at the steady pause.
            steady=STEADY_PAUSE if self.client.interfaces_supported is False else GET_PAUSE,
        )
        ctx.log(f"eth0: {ip}")
        return ip

    async def wait_network(
        self, ctx: OperationContext, node: str, vmid: int, net: NetworkPlan, dhcp_timeout: float
    ) -> str:
        """The CT's address as its network plan gives it: a static one is waited for as long as
        any address; a DHCP lease only `dhcp_timeout`, then the early error naming the fix."""
        if net.static:
            return await self.wait_address(ctx, node, vmid)
        try:
            return await self.wait_address(ctx, node, vmid, timeout=dhcp_timeout)
        except WaitTimeout:  # every answer came, none with a lease (not a call timing out)
            raise WaitTimeout(dhcp_silence(net.bridge, dhcp_timeout)) from None


def uncertain(exc: BaseException) -> bool:
    """A call that failed this way may still have been carried out by Proxmox."""
    return isinstance(exc, ProxmoxTimeout | ProxmoxConnectionError)


def late_grace(client: ProxmoxClient) -> float:
    """How long to watch for the effect of a call whose answer was lost."""
    return min(2 * client.timeout, 60.0)


def _absent(exc: ProxmoxError) -> bool:
    text = exc.pve_message.lower()
    return "does not exist" in text or "no such" in text or "not found" in text


def quote(value: str) -> str:
    return shlex.quote(value)


__all__ = ["Containers", "ProximityError"]
