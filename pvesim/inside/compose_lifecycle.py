"""`docker compose down | stop | start | restart`."""

from __future__ import annotations

from .compose import Project
from .compose_cli import Fail, Options, load_project, progress
from .docker import Box
from .shell import Ctx


def _targets(ctx: Ctx, project: Project, names: list[str]) -> list[Box]:
    boxes = ctx.system.docker.project_boxes(project.name)
    if names:
        for n in names:
            if project.services and n not in project.services:
                raise Fail(f"no such service: {n}")
        boxes = [b for b in boxes if b.service in names]
    return boxes


async def cmd_down(ctx: Ctx, opts: Options, args: list[str]) -> int:
    project = load_project(ctx, opts, by_name_ok=True)
    docker = ctx.system.docker
    boxes = docker.project_boxes(project.name)
    network = f"{project.name}_default"
    volumes = (
        [v for v in sorted(docker.volumes) if v.startswith(f"{project.name}_")]
        if any(a in ("-v", "--volumes") for a in args)
        else []
    )
    if not boxes and network not in docker.networks and not volumes:
        ctx.err(f'Warning: No resource found to remove for project "{project.name}".\n')
        return 0
    for box in boxes:
        docker.refresh(box)
        if box.state in ("running", "restarting"):
            progress(ctx, "Container", box.name, "Stopping")
            await ctx.sleep(0.5)
            docker.stop(box)
            progress(ctx, "Container", box.name, "Stopped")
        progress(ctx, "Container", box.name, "Removing")
        docker.remove(box)
        progress(ctx, "Container", box.name, "Removed")
    for vol in volumes:
        progress(ctx, "Volume", vol, "Removing")
        docker.volumes.discard(vol)
        progress(ctx, "Volume", vol, "Removed")
    if network in docker.networks:
        progress(ctx, "Network", network, "Removing")
        docker.networks.discard(network)
        progress(ctx, "Network", network, "Removed")
    return 0


async def cmd_stop(ctx: Ctx, opts: Options, args: list[str]) -> int:
    project = load_project(ctx, opts, by_name_ok=True)
    for box in _targets(ctx, project, [a for a in args if not a.startswith("-")]):
        ctx.system.docker.refresh(box)
        if box.state in ("running", "restarting"):
            progress(ctx, "Container", box.name, "Stopping")
            await ctx.sleep(0.5)
            ctx.system.docker.stop(box)
            progress(ctx, "Container", box.name, "Stopped")
    return 0


async def cmd_start(ctx: Ctx, opts: Options, args: list[str]) -> int:
    project = load_project(ctx, opts, by_name_ok=True)
    names = [a for a in args if not a.startswith("-")]
    boxes = _targets(ctx, project, names)
    if not boxes:
        raise Fail(
            f'service "{names[0] if names else next(iter(project.services), project.name)}" '
            "has no container to start"
        )
    for box in boxes:
        ctx.system.docker.refresh(box)
        if box.state != "running":
            progress(ctx, "Container", box.name, "Starting")
            await ctx.sleep(0.3)
            ctx.system.docker.start(box)
            progress(ctx, "Container", box.name, "Started")
    return 0


async def cmd_restart(ctx: Ctx, opts: Options, args: list[str]) -> int:
    project = load_project(ctx, opts, by_name_ok=True)
    for box in _targets(ctx, project, [a for a in args if not a.startswith("-")]):
        progress(ctx, "Container", box.name, "Restarting")
        await ctx.sleep(0.8)
        ctx.system.docker.stop(box, user=False)
        ctx.system.docker.start(box)
        progress(ctx, "Container", box.name, "Started")
    return 0


COMMANDS = {"down": cmd_down, "stop": cmd_stop, "start": cmd_start, "restart": cmd_restart}
