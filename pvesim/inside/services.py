"""Init systems: OpenRC on Alpine (`rc-update`, `service`/`rc-service`), systemd on Debian.

Only the docker service is modelled. Starting it runs the engine's checks: without the CT
features `nesting=1,keyctl=1` dockerd dies at once, OpenRC reports `ERROR: docker failed to
start` and the reason is in `/var/log/docker.log`, as on a real host.
"""

from __future__ import annotations

from .shell import Ctx

_KNOWN = {"docker": "docker-openrc"}
_BASE_SERVICES = {"crond", "networking", "sshd", "syslog", "local", "hostname", "bootmisc"}


def _installed(ctx: Ctx, service: str) -> bool:
    inside = ctx.system
    if service in _BASE_SERVICES:
        return True
    if inside.ostype == "debian":
        return service == "docker" and "docker-engine" in inside.packages
    pkg = _KNOWN.get(service)
    return pkg is not None and pkg in inside.packages


async def rc_update(ctx: Ctx, argv: list[str]) -> int:
    args = argv[1:]
    if len(args) < 2 or args[0] not in ("add", "del", "delete"):
        if args and args[0] == "show":
            for name in sorted(ctx.system.enabled):
                ctx.out(f" {name.rjust(17)} | default\n")
            return 0
        ctx.err(" * rc-update: usage: rc-update [options] add|del <service> [runlevel]\n")
        return 1
    action, service = args[0], args[1]
    runlevel = args[2] if len(args) > 2 else "default"
    if not _installed(ctx, service):
        ctx.err(f" * rc-update: service `{service}' does not exist\n")
        return 1
    enabled = ctx.system.enabled
    if action == "add":
        if service in enabled:
            ctx.err(
                f" * rc-update: {service} already installed in runlevel `{runlevel}'; skipping\n"
            )
            return 0
        enabled.add(service)
        ctx.out(f" * service {service} added to runlevel {runlevel}\n")
        return 0
    if service not in enabled:
        ctx.err(f" * rc-update: service `{service}' is not in the runlevel `{runlevel}'\n")
        return 1
    enabled.discard(service)
    ctx.out(f" * service {service} removed from runlevel {runlevel}\n")
    return 0


async def service(ctx: Ctx, argv: list[str]) -> int:
    """`service NAME ACTION` and `rc-service NAME ACTION` (OpenRC)."""
    args = [a for a in argv[1:] if not a.startswith("-")]
    if len(args) < 2:
        ctx.err(f"Usage: {argv[0]} <service> <command>\n")
        return 1
    name, action = args[0], args[1]
    if not _installed(ctx, name):
        ctx.err(f" * {argv[0]}: service `{name}' does not exist\n")
        return 1
    if name != "docker":
        ctx.out(" * status: started\n" if action == "status" else "")
        return 0
    docker = ctx.system.docker
    if action == "status":
        state = {"running": "started", "crashed": "crashed"}.get(docker.daemon, "stopped")
        ctx.out(f" * status: {state}\n")
        return {"started": 0, "crashed": 32}.get(state, 3)
    if action in ("stop", "restart"):
        if docker.daemon == "stopped" and action == "stop":
            ctx.err(" * WARNING: docker is already stopped\n")
            return 0
        ctx.out(" * Stopping Docker Daemon ...")
        await ctx.sleep(1.0)
        docker.stop_daemon()
        ctx.out(" [ ok ]\n")
        if action == "stop":
            return 0
    if action in ("start", "restart"):
        if docker.running:
            ctx.err(" * WARNING: docker has already been started\n")
            return 0
        return await start_docker(ctx)
    ctx.err(f" * {argv[0]}: unknown function `{action}'\n")
    return 1


async def start_docker(ctx: Ctx) -> int:
    inside = ctx.system
    if not inside.openrc_cached:
        ctx.out(" * Caching service dependencies ... [ ok ]\n")
        inside.openrc_cached = True
    if not ctx.fs.exists("/var/log/docker.log"):
        ctx.out(" * /var/log/docker.log: creating file\n * /var/log/docker.log: correcting owner\n")
    ctx.out(" * Starting Docker Daemon ...")
    await ctx.sleep(1.5)
    error = inside.docker.start_daemon(inside.features)
    if error:
        ctx.out("\n")
        ctx.err(" * supervise-daemon: docker: failed to start\n * ERROR: docker failed to start\n")
        return 1
    inside.docker.boot()
    ctx.out(" [ ok ]\n")
    return 0


async def systemctl(ctx: Ctx, argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("-")]
    now = "--now" in argv
    if len(args) < 2:
        ctx.err("Too few arguments.\n")
        return 1
    action, unit = args[0], args[1].removesuffix(".service")
    if not _installed(ctx, unit):
        ctx.err(f"Failed to {action} {unit}.service: Unit {unit}.service not found.\n")
        return 5 if action != "is-active" else 4
    docker = ctx.system.docker
    if action == "is-active":
        state = {"running": "active", "crashed": "failed"}.get(docker.daemon, "inactive")
        ctx.out(f"{state}\n")
        return 0 if state == "active" else 3
    if action == "is-enabled":
        ctx.out("enabled\n" if unit in ctx.system.enabled else "disabled\n")
        return 0 if unit in ctx.system.enabled else 1
    if action == "enable":
        ctx.system.enabled.add(unit)
        ctx.err(
            f"Synchronizing state of {unit}.service with SysV service script with "
            "/lib/systemd/systemd-sysv-install.\n"
            f"Executing: /lib/systemd/systemd-sysv-install enable {unit}\n"
        )
        if not now:
            return 0
        action = "start"
    if action == "disable":
        ctx.system.enabled.discard(unit)
        return 0
    if action in ("stop", "restart"):
        docker.stop_daemon()
        if action == "stop":
            return 0
    if action in ("start", "restart"):
        if docker.running:
            return 0
        await ctx.sleep(1.5)
        if docker.start_daemon(ctx.system.features):
            ctx.err(
                f"Job for {unit}.service failed because the control process exited with "
                f'error code.\nSee "systemctl status {unit}.service" and "journalctl '
                f'-xeu {unit}.service" for details.\n'
            )
            return 1
        docker.boot()
        return 0
    if action == "status":
        state = {"running": "active (running)", "crashed": "failed (Result: exit-code)"}.get(
            docker.daemon, "inactive (dead)"
        )
        enabled = "enabled" if unit in ctx.system.enabled else "disabled"
        ctx.out(
            f"● {unit}.service - Docker Application Container Engine\n"
            f"     Loaded: loaded (/lib/systemd/system/{unit}.service; {enabled}; "
            "preset: enabled)\n"
            f"     Active: {state}\n"
        )
        return 0 if docker.running else 3
    ctx.err(f'Unknown command verb "{action}".\n')
    return 1
