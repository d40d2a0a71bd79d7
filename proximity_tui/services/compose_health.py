"""Whether an app's services are up: `docker compose ps` read per service, and its port.

Split from `containers.py` (what the operations do to a container): this is the health check
deploy, clone, update and start end with.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import ExecError
from proximity_tui.services.overlap import in_order

if TYPE_CHECKING:
    from proximity_tui.services.containers import Containers
    from proximity_tui.services.operations.context import OperationContext

#: The app's port asked inside the CT: the probe ("$@") every `PORT_PAUSE` s, at most `tries`
#: times (busybox `sleep` takes fractions); its exit status is the last try's.
PORT_WAIT = (
    'i=1; until "$@"; do s=$?; if [ "$i" -ge {tries} ]; then exit $s; fi; '
    "i=$((i+1)); sleep {pause:g}; done"
)
PORT_PAUSE = 0.1
#: Tries in one look: 5 s of asking, then the look ends (a heartbeat line, a cancel check).
PORT_TRIES = 50
#: `compose ps` ("$@") asked again inside the CT every `PORT_PAUSE` s while a service's
#: healthcheck still says `starting` (Docker's first probe comes 5 s after the start: moby
#: `daemon/health.go` defaultStartInterval) and none has exited, at most `tries` times; the
#: last answer is printed and judged by `parse_compose_ps` as a single look's would be.
PS_WAIT = (
    'i=1; while :; do out=$("$@") || {{ s=$?; printf "%s\\n" "$out"; exit $s; }}; '
    'printf %s "$out" | grep -qE \'"State":"(exited|dead)"\' && break; '
    'printf %s "$out" | grep -qF \'"Health":"starting"\' || break; '
    '[ "$i" -ge {tries} ] && break; i=$((i+1)); sleep {pause:g}; done; printf "%s\\n" "$out"'
)


@dataclass(frozen=True)
class ServiceState:
    name: str
    state: str
    health: str

    @property
    def ready(self) -> bool:
        return self.state == "running" and self.health in ("", "healthy")


def parse_compose_ps(text: str) -> list[ServiceState]:
    """`docker compose ps --format json`: one JSON object per line (compose >= 2.21) or an array."""
    text = text.strip()
    if not text:
        return []
    try:
        rows: Any = json.loads(text) if text.startswith("[") else None
    except json.JSONDecodeError:
        rows = None
    if rows is None:
        rows = []
        for line in text.splitlines():
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    out = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict):
            out.append(
                ServiceState(
                    name=str(row.get("Service") or row.get("Name") or "?"),
                    state=str(row.get("State") or "").lower(),
                    health=str(row.get("Health") or "").lower(),
                )
            )
    return out


async def wait_healthy(
    containers: Containers,
    ctx: OperationContext,
    node: str,
    vmid: int,
    cfile: str,
    *,
    port: int | None,
    path: str | None,
    timeout: float | None = None,
) -> None:
    """Compose reports every service running (healthy where it has a healthcheck) and the web
    port answers from inside the CT. The two are asked side by side, each in its own `pct exec`
    (each a Perl start-up on the node, and a round trip): the port usually opens while a
    healthcheck still says `starting`. When a service has stopped, that error wins (the port's
    look is cancelled); otherwise a port that never answers is the error."""
    last = ["no answer yet"]

    loop = asyncio.get_running_loop()
    deadline = loop.time() + (timeout or containers.health_timeout)

    def tries() -> int:
        return max(1, min(PORT_TRIES, int((deadline - loop.time()) / PORT_PAUSE)))

    async def services_ready() -> bool | None:
        # `-a`: without it compose hides exited containers, and a crash would look like
        # "still starting" until the timeout. One look asks for a few seconds inside the CT
        # while a healthcheck is starting: a look per `pct exec` saw `healthy` up to a
        # quarter of a second late.
        ps = containers.compose_argv(cfile, "ps", "-a", "--format", "json")
        script = PS_WAIT.format(tries=tries(), pause=PORT_PAUSE)
        result = await containers.sh(ctx, node, vmid, script, args=ps, quiet=True, check=False)
        if result.exit_status != 0:
            last[0] = result.stderr.strip() or "compose ps failed"
            return None
        states = parse_compose_ps(result.stdout)
        if not states:
            last[0] = "no service is running"
            return None
        waiting = [f"{s.name}: {s.state} {s.health}".strip() for s in states if not s.ready]
        if waiting:
            last[0] = ", ".join(waiting)
            if any(s.state in ("exited", "dead") for s in states):
                raise ExecError(
                    f"a service stopped: {last[0]}", exit_status=1, stderr=last[0], vmid=vmid
                )
            return None
        return True

    limit = timeout or containers.health_timeout

    async def services_wait() -> None:
        await containers.until(
            ctx,
            services_ready,
            limit,
            "services did not become ready",
            last,
            waiting="waiting for the services to be ready",
        )

    if port is None:
        await services_wait()
        ctx.log("compose: every service is running")
        return
    if path is None:  # a TCP service (a database, MQTT): the port accepting is enough
        probe = ["nc", "-z", "127.0.0.1", str(port)]
        what = f"port {port}"
    else:
        what = f"http://127.0.0.1:{port}{path}"
        probe = ["wget", "-q", "-O", "/dev/null", what]
    port_last = ["no answer yet"]

    async def port_answers() -> bool | None:
        # One look is one `pct exec` that asks again inside the CT for a few seconds: the port
        # opens within a second or two of the start, and a look per `pct exec` saw it a quarter
        # of a second late (the pause between looks), each costing the node a Perl start-up.
        script = PORT_WAIT.format(tries=tries(), pause=PORT_PAUSE)
        result = await containers.sh(ctx, node, vmid, script, args=probe, quiet=True, check=False)
        if result.exit_status == 0:
            return True
        lines = result.stderr.strip().splitlines()  # the last try's words say why
        port_last[0] = lines[-1].strip() if lines else f"{probe[0]} exited {result.exit_status}"
        return None

    async def port_wait() -> None:
        await containers.until(
            ctx, port_answers, limit, f"{what} did not answer", port_last,
            waiting=f"waiting for {what}",
        )  # fmt: skip

    await in_order(services_wait(), port_wait())
    # Said once both are known, in this order: the two looks end in either order, and the log
    # (and what the progress screen shows) must not depend on which came first.
    ctx.log("compose: every service is running")
    ctx.log(f"{what} answers")
