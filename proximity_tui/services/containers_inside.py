"""What `Containers` runs inside a container: `pct exec` of a command or a script, Docker's
install and first answer, files pushed into the app directory, `docker compose` and its logs.

A mixin of `Containers` (`containers.py` keeps the Proxmox tasks and what they wait for): the
operations call these through the same object. Every command streams its lines into the running
operation's log and is abandoned at once when the operation is cancelled.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import ExecError
from proximity_tui.proxmox.exec_base import FOREVER
from proximity_tui.services.overlap import in_order

if TYPE_CHECKING:
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.services.operations.context import OperationContext

#: Alpine: Docker from the community repo, started now and at every boot.
DOCKER_INSTALL_ALPINE = (
    "apk update && apk add docker docker-cli-compose && rc-update add docker default "
    "&& service docker start"
)
#: Exit status of DOCKER_READY when the daemon never answered (its last error is on stderr).
DOCKER_SILENT = 3
#: Waits inside the CT for the daemon (up to 60 s), so that installing Docker and knowing it
#: answers is one `pct exec`: on a real node each `pct` costs a Perl start-up and an attach.
#: It asks every 0.1 s (busybox sleep takes fractions): on a clone of the base the deploy waits
#: for dockerd's 1-2 s start after the boot, and the app's start (before the lease when the base
#: carries its images) follows at once; a `docker info` inside the CT costs the node nothing.
DOCKER_READY = (
    "i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); "
    f'if [ "$i" -ge 600 ]; then docker info >/dev/null; exit {DOCKER_SILENT}; fi; sleep 0.1; done'
)
#: Pull then start, one command: a failed pull never starts anything ("$1" is the compose file).
COMPOSE_PULL_UP = 'docker compose -f "$1" pull && docker compose -f "$1" up -d'
#: The images are in the CT already (a base that carries them): a pull would need the network.
COMPOSE_UP_LOCAL = 'docker compose -f "$1" up -d --pull never'


class InsideContainer:
    if TYPE_CHECKING:  # provided by Containers
        exec: ContainerExec
        task_timeout: float

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

    async def compose_up_local(self, ctx: OperationContext, node: str, vmid: int, cfile: str):
        """`up -d` with the images already in the CT (`--pull never`)."""
        return await self.sh(ctx, node, vmid, COMPOSE_UP_LOCAL, args=[cfile])

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
