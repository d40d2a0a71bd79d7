"""The `docker` client: info, version, ps, images, pull, logs, run, start/stop/restart/rm, "
"compose."""

from __future__ import annotations

import json

from . import compose_cli, compose_view, images
from .docker import SOCKET_ERROR, Box, human_duration
from .docker_info import engine, format_arg, has_compose_plugin, info, render, version
from .shell import Ctx


async def docker(ctx: Ctx, argv: list[str]) -> int:
    args = argv[1:]
    if not args or args[0] in ("-h", "--help"):
        ctx.out("\nUsage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n")
        return 0
    if args[0] in ("-v", "--version"):
        e = engine(ctx)
        ctx.out(f"Docker version {e['docker']}, build {images.digest(e['docker'], 7)}\n")
        return 0
    sub, rest = args[0], args[1:]
    if sub == "compose":
        if not has_compose_plugin(ctx):
            ctx.err("docker: 'compose' is not a docker command.\nSee 'docker --help'\n")
            return 1
        return await compose_cli.main(ctx, rest)
    if sub == "info":
        return info(ctx, rest)
    if sub == "version":
        return version(ctx, rest)
    handler = _COMMANDS.get(sub)
    if handler is None:
        ctx.err(
            f"docker: unknown command: docker {sub}\n\nRun 'docker --help' for more information\n"
        )
        return 1
    if not ctx.system.docker.running:
        ctx.err(SOCKET_ERROR)
        return 1
    return await handler(ctx, rest)


def _row(ctx: Ctx, box: Box) -> dict[str, str]:
    s = compose_view.summary(ctx, box)
    return {
        "ID": box.id[:12],
        "Image": box.image,
        "Command": s["Command"],
        "CreatedAt": s["CreatedAt"],
        "RunningFor": s["RunningFor"],
        "Ports": s["Ports"],
        "Status": s["Status"],
        "Names": box.name,
        "State": box.state,
        "Labels": s["Labels"],
        "Networks": s["Networks"],
    }


async def _ps(ctx: Ctx, args: list[str]) -> int:
    d = ctx.system.docker
    show_all = any(a in ("-a", "--all") for a in args)
    boxes = list(d.boxes.values())
    for b in boxes:
        d.refresh(b)
    if not show_all:
        boxes = [b for b in boxes if b.state in ("running", "restarting")]
    boxes.sort(key=lambda b: b.created, reverse=True)
    if any(a in ("-q", "--quiet") for a in args):
        ctx.out("".join(f"{b.id[:12]}\n" for b in boxes))
        return 0
    fmt = format_arg(args)
    if fmt:
        if fmt in ("json", "{{json .}}"):
            ctx.out("".join(json.dumps(_row(ctx, b), separators=(",", ":")) + "\n" for b in boxes))
        else:
            ctx.out("".join(render(fmt, _row(ctx, b)) + "\n" for b in boxes))
        return 0
    rows = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
    for b in boxes:
        r = _row(ctx, b)
        rows.append(
            [
                r["ID"],
                r["Image"],
                r["Command"],
                r["RunningFor"],
                r["Status"],
                r["Ports"],
                r["Names"],
            ]
        )
    ctx.out(compose_view._table(rows))
    return 0


async def _images(ctx: Ctx, args: list[str]) -> int:
    d = ctx.system.docker
    now = ctx.system.now()
    rows = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
    for ref, meta in sorted(d.images.items()):
        repo, tag = ref.rsplit(":", 1)
        size = meta["size"] / 1e6
        rows.append(
            [
                repo,
                tag,
                meta["id"][7:19],
                f"{human_duration(now - meta['created'] + 86400 * 9)} ago",
                f"{size:.0f}MB",
            ]
        )
    if any(a in ("-q", "--quiet") for a in args):
        ctx.out("".join(f"{r[2]}\n" for r in rows[1:]))
        return 0
    ctx.out(compose_view._table(rows))
    return 0


async def _pull(ctx: Ctx, args: list[str]) -> int:
    refs = [a for a in args if not a.startswith("-")]
    if len(refs) != 1:
        ctx.err('"docker pull" requires exactly 1 argument.\n')
        return 1
    return await _pull_one(ctx, refs[0])


async def _pull_one(ctx: Ctx, ref: str) -> int:
    full = images.normalize(ref)
    repo, tag = full.rsplit(":", 1)
    error = ctx.system.pull_error(ref)
    ctx.out(f"{tag}: Pulling from {repo if '/' in repo else 'library/' + repo}\n")
    if error:
        ctx.err(f"Error response from daemon: {error}\n")
        return 1
    for layer in images.layers(ref):
        await ctx.sleep(0.2)
        ctx.out(f"{layer}: Pull complete\n")
    ctx.system.docker.add_image(ref)
    ctx.out(
        f"Digest: sha256:{images.digest('d' + full)}\nStatus: Downloaded newer image for {full}\n"
    )
    ctx.out(f"docker.io/{'library/' if '/' not in repo else ''}{full}\n")
    return 0


def _box(ctx: Ctx, name: str) -> Box | None:
    d = ctx.system.docker
    return d.boxes.get(name) or next((b for b in d.boxes.values() if b.id.startswith(name)), None)


async def _logs(ctx: Ctx, args: list[str]) -> int:
    names = [a for a in args if not a.startswith("-") and not a.isdigit()]
    tail = None
    for i, a in enumerate(args):
        if a in ("-n", "--tail") and i + 1 < len(args) and args[i + 1] != "all":
            tail = int(args[i + 1])
    box = _box(ctx, names[0]) if names else None
    if box is None:
        ctx.err(f"Error response from daemon: No such container: {names[0] if names else ''}\n")
        return 1
    lines = box.logs if tail is None else box.logs[-tail:] if tail else []
    ctx.out("".join(f"{line}\n" for _t, line in lines))
    if "-f" in args or "--follow" in args:
        return await compose_view.follow_logs(ctx, [box], {box.name: ""}, True, False)
    return 0


async def _lifecycle(ctx: Ctx, args: list[str], action: str) -> int:
    d = ctx.system.docker
    status = 0
    for name in [a for a in args if not a.startswith("-")]:
        box = _box(ctx, name)
        if box is None:
            ctx.err(f"Error response from daemon: No such container: {name}\n")
            status = 1
            continue
        d.refresh(box)
        if action == "rm":
            if box.state == "running" and not any(a in ("-f", "--force") for a in args):
                ctx.err(
                    f'Error response from daemon: cannot remove container "/{box.name}": '
                    "container is running: stop the container before removing or force remove\n"
                )  # noqa: E501
                status = 1
                continue
            d.stop(box)
            d.remove(box)
        elif action == "stop":
            d.stop(box)
        elif action == "start":
            if box.state != "running":
                d.start(box)
        else:
            d.stop(box, user=False)
            d.start(box)
        await ctx.sleep(0.3)
        ctx.out(f"{name}\n")
    return status


async def _run(ctx: Ctx, args: list[str]) -> int:
    detach = rm = False
    name = None
    rest = list(args)
    while rest and rest[0].startswith("-"):
        opt = rest.pop(0)
        if opt in ("-d", "--detach"):
            detach = True
        elif opt == "--rm":
            rm = True
        elif opt == "--name":
            name = rest.pop(0) if rest else None
        elif opt in ("-p", "-e", "-v", "--restart", "--network"):
            rest.pop(0) if rest else None
    if not rest:
        ctx.err('"docker run" requires at least 1 argument.\n')
        return 1
    ref = rest[0]
    d = ctx.system.docker
    if not d.has_image(ref):
        ctx.err(f"Unable to find image '{images.normalize(ref)}' locally\n")
        status = await _pull_one(ctx, ref)
        if status:
            return 125
    if ctx.system.broken_runc:
        ctx.err("docker: " + compose_cli.RUNC_ERROR)
        return 126
    info = images.lookup(ref)
    box = d.create(
        Box(
            id=d.new_id(),
            name=name or f"sim_{d.new_id()[:8]}",
            image=ref,
            command=" ".join(rest[1:]) or compose_view.default_command(ref),
            labels={},
            network_mode="bridge",
            ports=[],
            listen=list(info.ports) if info else [],
        )
    )  # noqa: E501
    d.start(box)
    if detach:
        ctx.out(f"{box.id}\n")
        return 0
    ctx.out("".join(f"{line}\n" for _t, line in box.logs))
    if info is not None and info.kind in ("hello", "shell"):
        d.stop(box)
        if rm:
            d.remove(box)
    return 0


_COMMANDS = {
    "ps": _ps,
    "images": _images,
    "pull": _pull,
    "logs": _logs,
    "run": _run,
    "rm": lambda ctx, a: _lifecycle(ctx, a, "rm"),
    "stop": lambda ctx, a: _lifecycle(ctx, a, "stop"),  # noqa: E501
    "start": lambda ctx, a: _lifecycle(ctx, a, "start"),
    "restart": lambda ctx, a: _lifecycle(ctx, a, "restart"),  # noqa: E501
}


async def docker_compose_standalone(ctx: Ctx, argv: list[str]) -> int:
    """The `docker-compose` binary (Alpine's docker-compose, Debian's docker-compose)."""
    if not ctx.system.docker.running and argv[1:2] not in (["version"], ["--version"], ["config"]):
        ctx.err(SOCKET_ERROR)
        return 1
    return await compose_cli.main(ctx, argv[1:])
