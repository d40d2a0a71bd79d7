"""`docker compose ps | logs | ls | config`: what compose v2 prints about a project."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import yaml

from . import images
from .docker import Box, human_duration

if TYPE_CHECKING:
    from .compose_cli import Options
    from .shell import Ctx

_COMMANDS_BY_KIND = {
    "nginx": "/docker-entrypoint.sh nginx -g 'daemon off;'",
    "postgres": "docker-entrypoint.sh postgres",
    "redis": "docker-entrypoint.sh redis-server",
    "mysql": "docker-entrypoint.sh mariadbd",
    "mongo": "docker-entrypoint.sh mongod",
    "linuxserver": "/init",
    "vaultwarden": "/start.sh",
    "grafana": "/run.sh",
    "httpd": "httpd-foreground",
    "hello": "/hello",
    "shell": "/bin/sh",
}


def default_command(ref: str) -> str:
    info = images.lookup(ref)
    return _COMMANDS_BY_KIND.get(info.kind if info else "", "docker-entrypoint.sh")


def _quoted_command(cmd: str) -> str:
    return '"' + (cmd if len(cmd) <= 20 else cmd[:19] + "…") + '"'


def publishers(box: Box) -> list[dict]:
    if box.network_mode == "host":
        return []
    pubs = []
    published_targets = set()
    for p in box.ports:
        published_targets.add(p.target)
        urls = ["0.0.0.0", "::"] if p.host_ip in ("", "0.0.0.0") else [p.host_ip]
        for url in urls:
            pubs.append(
                {
                    "URL": url,
                    "TargetPort": p.target,
                    "PublishedPort": p.published or 0,
                    "Protocol": p.protocol,
                }
            )
    info = images.lookup(box.image)
    for port in info.ports if info else ():
        if port not in published_targets:
            pubs.append({"URL": "", "TargetPort": port, "PublishedPort": 0, "Protocol": "tcp"})
    return sorted(pubs, key=lambda d: (d["TargetPort"], d["URL"]))


def ports_text(box: Box) -> str:
    parts = []
    for pub in publishers(box):
        if pub["PublishedPort"]:
            host = f"[{pub['URL']}]" if ":" in pub["URL"] else pub["URL"]
            parts.append(f"{host}:{pub['PublishedPort']}->{pub['TargetPort']}/{pub['Protocol']}")
        else:
            parts.append(f"{pub['TargetPort']}/{pub['Protocol']}")
    return ", ".join(parts)


def summary(ctx: Ctx, box: Box) -> dict:
    docker = ctx.system.docker
    now = ctx.system.now()
    docker.refresh(box)
    created_wall = ctx.system.wall(box.created)
    mounts = [m.split(":", 2)[1] for m in box.mounts]
    return {
        "Command": _quoted_command(box.command),
        "CreatedAt": time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime(created_wall)),
        "ExitCode": box.exit_code,
        "Health": docker.health(box),
        "ID": box.id,
        "Image": box.image,
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(box.labels.items())),
        "LocalVolumes": str(sum(1 for m in box.mounts if m.startswith("volume:"))),
        "Mounts": ",".join(mounts),
        "Name": box.name,
        "Names": box.name,
        "Networks": "host" if box.network_mode == "host" else box.network_mode,
        "Ports": ports_text(box),
        "Project": box.project or "",
        "Publishers": publishers(box),
        "RunningFor": f"{human_duration(now - box.created)} ago",
        "Service": box.service,
        "Size": "0B",
        "State": box.state,
        "Status": docker.status(box),
    }


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)]
        lines.append("   ".join(cells).rstrip() + "\n")
    return "".join(lines)


async def cmd_ps(ctx: Ctx, opts: Options, args: list[str]) -> int:
    from .compose_cli import load_project

    show_all = quiet = services_only = False
    fmt = "table"
    status_filter: list[str] = []
    names: list[str] = []
    it = iter(args)
    for a in it:
        if a in ("-a", "--all"):
            show_all = True
        elif a in ("-q", "--quiet"):
            quiet = True
        elif a == "--services":
            services_only = True
        elif a == "--format":
            fmt = next(it, "table")
        elif a.startswith("--format="):
            fmt = a.split("=", 1)[1]
        elif a == "--status":
            status_filter.append(next(it, ""))
        elif a.startswith("--status="):
            status_filter.append(a.split("=", 1)[1])
        elif not a.startswith("-"):
            names.append(a)
    project = load_project(ctx, opts, by_name_ok=True)
    boxes = ctx.system.docker.project_boxes(project.name)
    for b in boxes:
        ctx.system.docker.refresh(b)
    if names:
        boxes = [b for b in boxes if b.service in names]
    if status_filter:
        boxes = [b for b in boxes if b.state in status_filter]
    elif not show_all:
        boxes = [b for b in boxes if b.state in ("running", "restarting")]
    if services_only:
        ctx.out("".join(f"{b.service}\n" for b in boxes))
        return 0
    if quiet:
        ctx.out("".join(f"{b.id}\n" for b in boxes))
        return 0
    if fmt == "json":
        ctx.out(
            "".join(
                json.dumps(summary(ctx, b), separators=(",", ":"), ensure_ascii=False) + "\n"
                for b in boxes
            )
        )
        return 0
    rows = [["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]]
    for b in boxes:
        s = summary(ctx, b)
        rows.append(
            [
                s["Name"],
                s["Image"],
                s["Command"],
                s["Service"],
                s["RunningFor"],
                s["Status"],
                s["Ports"],
            ]
        )
    ctx.out(_table(rows))
    return 0


def _prefixes(boxes: list[Box]) -> dict[str, str]:
    names = {
        b.name: (
            b.name
            if not b.labels.get("com.docker.compose.container-number")
            or b.name != f"{b.project}-{b.service}-1"
            else f"{b.service}-1"
        )
        for b in boxes
    }
    width = max((len(n) for n in names.values()), default=0)
    return {k: f"{v.ljust(width)}  | " for k, v in names.items()}


async def cmd_logs(ctx: Ctx, opts: Options, args: list[str]) -> int:
    from .compose_cli import load_project
    from .compose_lifecycle import _targets

    follow = timestamps = no_prefix = False
    tail: int | None = None
    names: list[str] = []
    it = iter(args)
    for a in it:
        if a in ("-f", "--follow"):
            follow = True
        elif a in ("-t", "--timestamps"):
            timestamps = True
        elif a == "--no-log-prefix":
            no_prefix = True
        elif a in ("-n", "--tail"):
            value = next(it, "all")
            tail = None if value == "all" else int(value)
        elif a.startswith(("--tail=", "-n=")):
            value = a.split("=", 1)[1]
            tail = None if value == "all" else int(value)
        elif a in ("--since", "--until"):
            next(it, None)
        elif not a.startswith("-"):
            names.append(a)
    project = load_project(ctx, opts, by_name_ok=True)
    boxes = _targets(ctx, project, names)
    prefixes = _prefixes(boxes)
    lines: list[tuple[float, str, str]] = []
    for box in boxes:
        ctx.system.docker.refresh(box)
        own = box.logs if tail is None else (box.logs[-tail:] if tail > 0 else [])
        lines.extend((t, box.name, line) for t, line in own)
    lines.sort(key=lambda x: x[0])
    for t, name, line in lines:
        ctx.out(_format(ctx, "" if no_prefix else prefixes[name], line, t if timestamps else None))
    if follow:
        return await follow_logs(ctx, boxes, prefixes, no_prefix, timestamps)
    return 0


def _format(ctx: Ctx, prefix: str, line: str, t: float | None) -> str:
    stamp = ""
    if t is not None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z ", time.gmtime(ctx.system.wall(t)))
    return f"{prefix}{stamp}{line}\n"


async def follow_logs(
    ctx: Ctx, boxes: list[Box], prefixes, no_prefix: bool, timestamps: bool
) -> int:
    """Streams new lines until every followed container has stopped (as compose does)."""
    seen = {b.name: len(b.logs) for b in boxes}
    docker = ctx.system.docker
    while True:
        alive = False
        for box in boxes:
            docker.refresh(box)
            new = box.logs[seen[box.name] :]
            seen[box.name] = len(box.logs)
            for t, line in new:
                ctx.out(
                    _format(
                        ctx,
                        "" if no_prefix else prefixes[box.name],
                        line,
                        t if timestamps else None,
                    )
                )
            alive = alive or (box.state in ("running", "restarting") and box.name in docker.boxes)
        if not alive:
            return 0
        await ctx.system.poll_sleep()


async def follow(ctx: Ctx, boxes: list[Box], *, attach: bool) -> int:
    prefixes = _prefixes(boxes)
    if attach:
        ctx.out("Attaching to " + ", ".join(p.split()[0] for p in prefixes.values()) + "\n")
    for box in boxes:
        for _t, line in box.logs:
            ctx.out(_format(ctx, prefixes[box.name], line, None))
    return await follow_logs(ctx, boxes, prefixes, False, False)


async def cmd_ls(ctx: Ctx, opts: Options, args: list[str]) -> int:
    docker = ctx.system.docker
    show_all = any(a in ("-a", "--all") for a in args)
    fmt = "json" if ("--format" in args and "json" in args) or "--format=json" in args else "table"
    projects: dict[str, list[Box]] = {}
    for box in docker.boxes.values():
        docker.refresh(box)
        if box.project:
            projects.setdefault(box.project, []).append(box)
    entries = []
    for name in sorted(projects):
        boxes = projects[name]
        counts: dict[str, int] = {}
        for b in boxes:
            counts[b.state] = counts.get(b.state, 0) + 1
        if not show_all and "running" not in counts:
            continue
        status = ", ".join(f"{state}({n})" for state, n in sorted(counts.items()))
        files = boxes[0].labels.get("com.docker.compose.project.config_files", "")
        entries.append({"Name": name, "Status": status, "ConfigFiles": files})
    if fmt == "json":
        ctx.out(json.dumps(entries, separators=(",", ":")) + "\n")
        return 0
    rows = [["NAME", "STATUS", "CONFIG FILES"]] + [
        [e["Name"], e["Status"], e["ConfigFiles"]] for e in entries
    ]
    ctx.out(_table(rows))
    return 0


async def cmd_config(ctx: Ctx, opts: Options, args: list[str]) -> int:
    from .compose_cli import load_project

    project = load_project(ctx, opts)
    if "-q" in args or "--quiet" in args:
        return 0
    if "--services" in args:
        ctx.out("".join(f"{n}\n" for n in sorted(project.services)))
        return 0
    doc = {
        "name": project.name,
        "services": {
            s.name: {
                "image": s.image,
                **({"network_mode": s.network_mode} if s.network_mode else {}),
                **({"environment": s.environment} if s.environment else {}),
                **(
                    {
                        "ports": [
                            {
                                "mode": "ingress",
                                "target": p.target,
                                **({"published": str(p.published)} if p.published else {}),
                                **({"host_ip": p.host_ip} if p.host_ip else {}),
                                "protocol": p.protocol,
                            }
                            for p in s.ports
                        ]
                    }
                    if s.ports
                    else {}
                ),  # noqa: E501
                **({"restart": s.restart} if s.restart != "no" else {}),
            }
            for s in project.ordered()
        },
    }
    ctx.out(yaml.safe_dump(doc, sort_keys=False))
    return 0


COMMANDS = {"ps": cmd_ps, "logs": cmd_logs, "ls": cmd_ls, "config": cmd_config}
