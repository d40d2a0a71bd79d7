"""What the operations do to one container, reporting every task line and command line.

`Containers` pairs the API client (tasks: start, stop, destroy, snapshot, ...) with `pct exec`
(Docker and Compose inside the CT). Every call takes the running `OperationContext`, streams output
into it, honours its cancellation and uses the configured timeouts. No method sleeps a fixed time:
waiting is always for a task or a condition, with a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from proximity_tui.errors import (
    ExecError,
    ProximityError,
    ProxmoxConnectionError,
    ProxmoxError,
    ProxmoxTimeout,
)
from proximity_tui.proxmox.exec_base import FOREVER
from proximity_tui.proxmox.tasks import GET_PAUSE, STEADY_PAUSE, next_pause
from proximity_tui.proxmox.upid import Upid
from proximity_tui.services.heartbeat import HEARTBEAT_EVERY, Heartbeat
from proximity_tui.services.identity import app_id_of
from proximity_tui.services.network import NetworkPlan, dhcp_silence
from proximity_tui.services.overlap import in_order

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.proxmox.models import Guest
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView

T = TypeVar("T")
APP_ROOT = "/opt/proximity"
#: PVE's words for a CT another task holds (or started again meanwhile): worth another try.
BUSY_MESSAGES = ("can't lock file", "is locked", "container is running", "CT is running")
TAG = "proximity"
#: Seconds to wait for the start a rollback with start=1 schedules before starting it ourselves.
ROLLBACK_START_WAIT = 30.0
#: An IPv4 address in `ip -o addr` output.
INET = re.compile(r"\binet (\d{1,3}(?:\.\d{1,3}){3})/")

#: Alpine: Docker from the community repo, started now and at every boot.
DOCKER_INSTALL_ALPINE = (
    "apk update && apk add docker docker-cli-compose && rc-update add docker default "
    "&& service docker start"
)
#: Exit status of DOCKER_READY when the daemon never answered (its last error is on stderr).
DOCKER_SILENT = 3
#: Waits inside the CT for the daemon (up to 60 s), so that installing Docker and knowing it
#: answers is one `pct exec`: on a real node each `pct` costs a Perl start-up and an attach.
#: It asks every 0.2 s (busybox sleep takes fractions): on a clone of the base, OpenRC starts
#: dockerd only after the lease and the deploy waits for its 1-2 s start; a 1 s step added up to
#: a second to that, and a `docker info` inside the CT costs the node nothing.
DOCKER_READY = (
    "i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); "
    f'if [ "$i" -ge 300 ]; then docker info >/dev/null; exit {DOCKER_SILENT}; fi; sleep 0.2; done'
)
#: Pull then start, one command: a failed pull never starts anything ("$1" is the compose file).
COMPOSE_PULL_UP = 'docker compose -f "$1" pull && docker compose -f "$1" up -d'


def compose_dir(hostname: str) -> str:
    return f"{APP_ROOT}/{hostname}"


def compose_file(hostname: str) -> str:
    return f"{compose_dir(hostname)}/compose.yaml"


def app_compose_file(app: AppView) -> str:
    """Where an app's compose file is (a clone keeps its source's path)."""
    return str(app.config.get("compose_file") or compose_file(app.hostname))


class WaitTimeout(ProxmoxTimeout):
    """A condition waited for (an address, healthy services) did not come in time; unlike a
    call that timed out, every call was answered."""


class Containers:
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

    # --- inside the container ---

    async def sh(
        self,
        ctx: OperationContext,
        node: str,
        vmid: int,
        script: str,
        *,
        args: list[str] | None = None,
        **kwargs: Any,
    ):
        """`sh -c SCRIPT sh ARGS...`: user values go in as `$1`, `$2`, never into the script."""
        return await self.run(ctx, node, vmid, ["sh", "-c", script, "sh", *(args or [])], **kwargs)

    async def run(
        self,
        ctx: OperationContext,
        node: str,
        vmid: int,
        argv: list[str],
        *,
        timeout: float | None = None,
        quiet: bool = False,
        check: bool = True,
    ):
        on_line = None if quiet else ctx.log
        return await self._cancellable(
            ctx,
            self.exec.run(
                node,
                vmid,
                argv,
                timeout=timeout or self.task_timeout,
                on_stdout=on_line,
                on_stderr=on_line,
                check=check,
            ),
        )

    async def install_docker(
        self, ctx: OperationContext, node: str, vmid: int, *, install: bool = True
    ) -> None:
        """Install Docker and wait until it answers; `install=False` (a clone of the node's
        Docker-ready base, where it is installed already) only waits, as one `pct exec`."""
        script = f"{DOCKER_INSTALL_ALPINE} && {DOCKER_READY}" if install else DOCKER_READY
        try:
            await self.sh(ctx, node, vmid, script)
        except ExecError as exc:
            if exc.exit_status != DOCKER_SILENT:
                raise
            detail = (exc.stderr or "").strip() or "no answer"
            raise ExecError(
                f"Docker did not start in CT {vmid} within 60s: {detail}",
                exit_status=exc.exit_status,
                stderr=exc.stderr,
                vmid=vmid,
            ) from None
        ctx.log("docker info: the daemon answers")

    async def write_files(
        self, ctx: OperationContext, node: str, vmid: int, directory: str, files: dict[str, tuple]
    ) -> None:
        """Push `{name: (bytes, mode)}` into the app directory (each push creates it if need
        be). The pushes run at once: each is a `pct exec` (a Perl start-up on the node), and
        none depends on another; a failure is the first file's in order, as one by one."""
        await in_order(
            *(
                self._cancellable(
                    ctx, self.exec.push_file(node, vmid, f"{directory}/{name}", data, mode)
                )
                for name, (data, mode) in files.items()
            )
        )
        for name, (data, _mode) in files.items():
            ctx.log(f"wrote {directory}/{name} ({len(data)} bytes)")

    async def compose_pull_up(self, ctx: OperationContext, node: str, vmid: int, cfile: str):
        """`compose pull` then `up -d` in one command (one `pct exec`, output streamed)."""
        return await self.sh(ctx, node, vmid, COMPOSE_PULL_UP, args=[cfile])

    def compose_argv(self, cfile: str, *args: str) -> list[str]:
        return ["docker", "compose", "-f", cfile, *args]

    async def compose(
        self, ctx: OperationContext, node: str, vmid: int, cfile: str, *args: str, **kw: Any
    ):
        """`docker compose -f CFILE ARGS...` (the `.env` beside CFILE is read by compose)."""
        return await self.run(ctx, node, vmid, self.compose_argv(cfile, *args), **kw)

    async def logs(
        self, node: str, vmid: int, cfile: str, *, tail: int, follow: bool, on_line
    ) -> None:
        args = ["logs", "--no-color", "--tail", str(int(tail))]
        if follow:
            args.append("--follow")
        await self.exec.run(
            node,
            vmid,
            self.compose_argv(cfile, *args),
            timeout=FOREVER if follow else self.task_timeout,
            on_stdout=on_line,
            on_stderr=on_line,
        )

    # --- helpers ---

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

    async def _cancellable(self, ctx: OperationContext, coro):
        """Await a command; if the operation is cancelled meanwhile, abandon it at once."""
        task = asyncio.ensure_future(coro)
        waiter = asyncio.ensure_future(ctx.cancel_event.wait())
        try:
            done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if task in done:
            return task.result()
        task.cancel()
        ctx.check_cancelled()
        return await task  # pragma: no cover - cancel_event was set, check raised


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
