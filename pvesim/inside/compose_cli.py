"""`docker compose ...`: the subcommands that change things (pull, up, down, stop, start, restart).

Progress goes to stderr as compose v2 writes it without a terminal
(` Container app-web-1  Started`); `ps`, `logs`, `ls` and `config` are in `compose_view`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from . import compose, compose_view, images
from .compose import ComposeError, Project
from .docker import SOCKET_ERROR, Box
from .shell import Ctx

VERSION_BY_RELEASE = {"3.22": "2.36.2", "3.23": "2.40.3", "13": "2.26.1"}
RUNC_ERROR = (
    "Error response from daemon: failed to create task for container: failed to create shim task: "
    "OCI runtime create failed: runc create failed: unable to start container process: error "
    "during container init: open sysctl net.ipv4.ip_unprivileged_port_start file: reopen fd 8: "
    "permission denied: unknown\n"
)
_VALUE_OPTS = {
    "-f": "file",
    "--file": "file",
    "-p": "project_name",
    "--project-name": "project_name",
    "--project-directory": "project_directory",
    "--env-file": "env_file",
    "--ansi": None,
    "--progress": None,
    "--profile": None,
    "--parallel": None,
}
_FLAG_OPTS = {"--compatibility", "--dry-run", "--all-resources"}


@dataclass
class Options:
    files: list[str] = field(default_factory=list)
    project_name: str | None = None
    project_directory: str | None = None
    env_files: list[str] = field(default_factory=list)


class Fail(Exception):
    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def version(ctx: Ctx) -> str:
    return VERSION_BY_RELEASE.get(ctx.system.release, "2.36.2")


async def main(ctx: Ctx, args: list[str]) -> int:
    """Entry point for `docker compose ARGS` (and the standalone `docker-compose`)."""
    opts = Options()
    while args and args[0].startswith("-"):
        arg = args.pop(0)
        name, eq, inline = arg.partition("=")
        if name in _VALUE_OPTS:
            value = inline if eq else (args.pop(0) if args else None)
            if value is None:
                ctx.err(f"flag needs an argument: {name}\n")
                return 1
            key = _VALUE_OPTS[name]
            if key == "file":
                opts.files.append(ctx.path(value))
            elif key == "env_file":
                opts.env_files.append(ctx.path(value))
            elif key == "project_directory":
                opts.project_directory = ctx.path(value)
            elif key == "project_name":
                opts.project_name = value
        elif arg in ("-v", "--version"):
            ctx.out(f"Docker Compose version v{version(ctx)}\n")
            return 0
        elif arg not in _FLAG_OPTS:
            ctx.err(f"unknown flag: {arg}\n")
            return 1
    if not args:
        ctx.out(
            "Usage:  docker compose [OPTIONS] COMMAND\n"
            "\nDefine and run multi-container applications with Docker\n"
        )
        return 0
    sub, rest = args[0], args[1:]
    if sub == "version":
        short = "--short" in rest
        ctx.out(f"{version(ctx)}\n" if short else f"Docker Compose version v{version(ctx)}\n")
        return 0
    from . import compose_lifecycle  # it builds on this module

    commands = {
        "pull": cmd_pull,
        "up": cmd_up,
        **compose_lifecycle.COMMANDS,
        **compose_view.COMMANDS,
    }
    handler = commands.get(sub)
    if handler is None:
        ctx.err(f'unknown docker command: "compose {sub}"\n')
        return 1
    if sub not in ("config",) and not ctx.system.docker.running:
        ctx.err(SOCKET_ERROR)
        return 1
    try:
        return await handler(ctx, opts, rest)
    except (Fail, ComposeError) as exc:
        ctx.err(exc.message.rstrip("\n") + "\n")
        return getattr(exc, "status", 1)


def load_project(ctx: Ctx, opts: Options, *, by_name_ok: bool = False) -> Project:
    """The project from -f/--project-directory/-p, or compose's file discovery in the cwd."""
    files = list(opts.files)
    if not files:
        base = opts.project_directory or ctx.cwd
        found = compose.find_file(ctx.fs, base)
        if found is None:
            if by_name_ok and opts.project_name:
                return _project_from_labels(ctx, opts.project_name)
            raise Fail("no configuration file provided: not found")
        files = [found]
    warnings: list[str] = []
    shell_env = dict(ctx.env)
    project = compose.load(
        ctx.fs,
        files,
        project_name=opts.project_name,
        project_dir=opts.project_directory,
        env_files=opts.env_files,
        shell_env=shell_env,
        warn=warnings,
    )
    for msg in dict.fromkeys(warnings):
        warn(ctx, msg)
    return project


def _project_from_labels(ctx: Ctx, name: str) -> Project:
    boxes = ctx.system.docker.project_boxes(name)
    workdir = boxes[0].labels.get("com.docker.compose.project.working_dir", "/") if boxes else "/"
    return Project(name, workdir, [], {})


def warn(ctx: Ctx, msg: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ctx.system.wall(ctx.system.now())))
    ctx.err(f'time="{stamp}" level=warning msg={json.dumps(msg)}\n')


def progress(ctx: Ctx, kind: str, name: str, status: str) -> None:
    ctx.err(f" {kind} {name}  {status}\n")


def container_name(project: Project, svc: compose.ServiceSpec) -> str:
    return svc.container_name or f"{project.name}-{svc.name}-1"


def selected(project: Project, names: list[str]) -> list[compose.ServiceSpec]:
    for n in names:
        if n not in project.services:
            raise Fail(f"no such service: {n}")
    if not names:
        return project.ordered()
    wanted: set[str] = set()

    def add(n: str) -> None:
        if n not in wanted:
            wanted.add(n)
            for dep in project.services[n].depends_on:
                add(dep)

    for n in names:
        add(n)
    return [s for s in project.ordered() if s.name in wanted]


async def pull_image(ctx: Ctx, label: str, ref: str, *, quiet: bool = False) -> str | None:
    """Pulls one image, writing compose's progress; returns the daemon's error, if any."""
    inside = ctx.system
    if not quiet:
        progress_line(ctx, f"{label} Pulling")
    await ctx.sleep(0.4)
    error = inside.pull_error(ref)
    if error:
        if not quiet:
            progress_line(ctx, f"{label} Error {error}")
        return f"Error response from daemon: {error}"
    if not inside.docker.has_image(ref):
        info = images.lookup(ref)
        layer_ids = images.layers(ref)
        per_layer = (info.size_mb if info else 60) / 40.0 / len(layer_ids)
        if not quiet:
            for layer in layer_ids:
                progress_line(ctx, f"{layer} Pulling fs layer")
        for layer in layer_ids:
            await ctx.sleep(per_layer)
            if not quiet:
                progress_line(ctx, f"{layer} Download complete")
                progress_line(ctx, f"{layer} Pull complete")
        inside.docker.add_image(ref)
    if not quiet:
        progress_line(ctx, f"{label} Pulled")
    return None


def progress_line(ctx: Ctx, text: str) -> None:
    ctx.err(f" {text} \n")


async def cmd_pull(ctx: Ctx, opts: Options, args: list[str]) -> int:
    quiet = "-q" in args or "--quiet" in args
    ignore = "--ignore-pull-failures" in args
    project = load_project(ctx, opts)
    failed = None
    for svc in selected(project, [a for a in args if not a.startswith("-")]):
        error = await pull_image(ctx, svc.name, svc.image, quiet=quiet)
        if error and not ignore:
            failed = failed or error
    if failed:
        raise Fail(failed)
    return 0


async def cmd_up(ctx: Ctx, opts: Options, args: list[str]) -> int:
    detach = any(a in ("-d", "--detach") for a in args)
    force = "--force-recreate" in args
    wait = "--wait" in args
    pull_policy = "missing"
    names: list[str] = []
    it = iter(args)
    for a in it:
        if a == "--pull":
            pull_policy = next(it, "missing")
        elif a.startswith("--pull="):
            pull_policy = a.split("=", 1)[1]
        elif a in ("--wait-timeout", "-t", "--timeout", "--scale"):
            next(it, None)
        elif not a.startswith("-"):
            names.append(a)
    project = load_project(ctx, opts)
    services = selected(project, names)
    docker = ctx.system.docker
    for svc in services:
        if pull_policy == "always" or (
            pull_policy == "missing" and not docker.has_image(svc.image)
        ):
            error = await pull_image(ctx, svc.name, svc.image)
            if error:
                raise Fail(error)
        elif not docker.has_image(svc.image):
            raise Fail(f"Error response from daemon: No such image: {images.normalize(svc.image)}")
    _orphans(ctx, project, remove="--remove-orphans" in args)
    network = f"{project.name}_default"
    if project.uses_default_network() and network not in docker.networks:
        progress(ctx, "Network", network, "Creating")
        docker.networks.add(network)
        progress(ctx, "Network", network, "Created")
    for vol in project.volumes:
        full = f"{project.name}_{vol}"
        if full not in docker.volumes:
            progress(ctx, "Volume", f'"{full}"', "Creating")
            docker.volumes.add(full)
            progress(ctx, "Volume", f'"{full}"', "Created")
    to_start: list[tuple[compose.ServiceSpec, Box]] = []
    for svc in services:
        name = container_name(project, svc)
        box = docker.boxes.get(name)
        if box is not None and (
            force or box.labels.get("com.docker.compose.config-hash") != svc.config_hash
        ):
            progress(ctx, "Container", name, "Recreate")
            docker.stop(box, user=False)
            docker.remove(box)
            box = _create(ctx, project, svc)
            progress(ctx, "Container", name, "Recreated")
        elif box is None:
            progress(ctx, "Container", name, "Creating")
            await ctx.sleep(0.1)
            box = _create(ctx, project, svc)
            progress(ctx, "Container", name, "Created")
        to_start.append((svc, box))
    for svc, box in to_start:
        name = box.name
        docker.refresh(box)
        if box.state == "running":
            progress(ctx, "Container", name, "Running")
            continue
        await _wait_dependencies(ctx, project, svc)
        conflict = _port_conflict(docker, box)
        if conflict:
            raise Fail(conflict)
        progress(ctx, "Container", name, "Starting")
        await ctx.sleep(0.3)
        if ctx.system.broken_runc:
            box.state = "created"
            raise Fail(RUNC_ERROR)
        docker.start(box)
        progress(ctx, "Container", name, "Started")
    if wait:
        for _svc, box in to_start:
            await _wait_healthy(ctx, box, waiting_for=None)
    if not detach:
        return await compose_view.follow(ctx, [b for _s, b in to_start], attach=True)
    return 0


def _create(ctx: Ctx, project: Project, svc: compose.ServiceSpec) -> Box:
    docker = ctx.system.docker
    labels = {
        "com.docker.compose.project": project.name,
        "com.docker.compose.service": svc.name,
        "com.docker.compose.container-number": "1",
        "com.docker.compose.config-hash": svc.config_hash,
        "com.docker.compose.project.working_dir": project.working_dir,
        "com.docker.compose.project.config_files": ",".join(project.files),
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.image": "sha256:" + images.digest(images.normalize(svc.image)),
        "com.docker.compose.version": version(ctx),
    }
    for mount in svc.volumes:
        kind, source, _target = mount.split(":", 2)
        if kind == "bind" and not ctx.fs.exists(source):
            ctx.fs.mkdir(source, parents=True)
    box = Box(
        id=docker.new_id(),
        name=container_name(project, svc),
        image=svc.image,
        command=svc.command or compose_view.default_command(svc.image),
        labels=labels,
        network_mode="host"
        if svc.network_mode == "host"
        else (svc.network_mode or f"{project.name}_default"),  # noqa: E501
        ports=[type(p)(**p.__dict__) for p in svc.ports],
        listen=list(svc.listen),
        restart=svc.restart,
        healthcheck=svc.healthcheck,
        env=dict(svc.environment),
        mounts=list(svc.volumes),
    )
    return docker.create(box)


def _port_conflict(docker, box: Box) -> str | None:
    for other in docker.boxes.values():
        if other is box or other.state != "running":
            continue
        used = {p.published for p in other.ports} | (
            set(other.listen) if other.network_mode == "host" else set()
        )
        for p in box.ports:
            if p.published in used:
                ip = p.host_ip or "0.0.0.0"
                return (
                    f"Error response from daemon: driver failed programming external connectivity on endpoint "  # noqa: E501
                    f"{box.name} ({box.id}): Bind for {ip}:{p.published} failed: port is already allocated"  # noqa: E501
                )
    return None


async def _wait_dependencies(ctx: Ctx, project: Project, svc: compose.ServiceSpec) -> None:
    for dep, condition in sorted(svc.depends_on.items()):
        box = ctx.system.docker.boxes.get(container_name(project, project.services[dep]))
        if box is None or condition != "service_healthy":
            continue
        await _wait_healthy(ctx, box, waiting_for=box.name)


async def _wait_healthy(ctx: Ctx, box: Box, waiting_for: str | None) -> None:
    docker = ctx.system.docker
    if waiting_for:
        progress(ctx, "Container", waiting_for, "Waiting")
    while True:
        docker.refresh(box)
        health = docker.health(box)
        if box.state != "running":
            raise Fail(f"container {box.name} exited ({box.exit_code})")
        if health == "unhealthy":
            prefix = "dependency failed to start: " if waiting_for else ""
            raise Fail(f"{prefix}container {box.name} is unhealthy")
        if health in ("healthy", "") and docker.listening(box):
            break
        await ctx.system.poll_sleep()
    if waiting_for:
        progress(ctx, "Container", waiting_for, "Healthy")


def _orphans(ctx: Ctx, project: Project, *, remove: bool) -> None:
    docker = ctx.system.docker
    known = {container_name(project, s) for s in project.services.values()}
    orphans = [b for b in docker.project_boxes(project.name) if b.name not in known]
    if not orphans:
        return
    if remove:
        for box in orphans:
            progress(ctx, "Container", box.name, "Removing")
            docker.stop(box)
            docker.remove(box)
            progress(ctx, "Container", box.name, "Removed")
        return
    names = " ".join(b.name for b in orphans)
    warn(
        ctx,
        f"Found orphan containers ([{names}]) for this project. If you removed or renamed "
        "this service in your compose file, you can run this command with the --remove-orphans "
        "flag to clean it up.",
    )  # noqa: E501
