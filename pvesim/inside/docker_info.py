"""`docker info` and `docker version`, and the small Go-template `--format` both accept."""

from __future__ import annotations

import json
import re

from . import compose_cli, images
from .docker import SOCKET_ERROR
from .shell import Ctx

ENGINE = {
    "3.22": {
        "docker": "28.3.3",
        "api": "1.51",
        "go": "go1.24.6",
        "containerd": "v2.0.5",
        "runc": "1.3.0",
    },
    "3.23": {
        "docker": "29.1.2",
        "api": "1.52",
        "go": "go1.25.4",
        "containerd": "v2.1.4",
        "runc": "1.3.3",
    },
    "12": {
        "docker": "20.10.24+dfsg1",
        "api": "1.41",
        "go": "go1.19.8",
        "containerd": "1.6.20~ds1",
        "runc": "1.1.5+ds1",
    },
    "13": {
        "docker": "26.1.5+dfsg1",
        "api": "1.45",
        "go": "go1.24.4",
        "containerd": "1.7.24~ds1",
        "runc": "1.1.15+ds1",
    },
}


def engine(ctx: Ctx) -> dict[str, str]:
    return ENGINE.get(ctx.system.release, ENGINE["3.22"])


def has_compose_plugin(ctx: Ctx) -> bool:
    return "docker-cli-compose" in ctx.system.packages


def render(template: str, data: dict) -> str:
    """Enough of Go templates for `--format '{{.Server.Version}}'` and `{{json .X}}`."""

    def value(path: str):
        cur = data
        for key in [k for k in path.strip().lstrip(".").split(".") if k]:
            cur = cur.get(key, "") if isinstance(cur, dict) else ""
        return cur

    def sub(m: re.Match[str]) -> str:
        expr = m.group(1).strip()
        if expr.startswith("json "):
            return json.dumps(value(expr[5:]), separators=(",", ":"))
        v = value(expr)
        return json.dumps(v) if isinstance(v, dict | list) else str(v)

    return re.sub(r"\{\{(.*?)\}\}", sub, template.replace("\\t", "\t").replace("\\n", "\n"))


def format_arg(args: list[str]) -> str | None:
    for i, a in enumerate(args):
        if a in ("-f", "--format") and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--format="):
            return a.split("=", 1)[1]
    return None


def _client_block(ctx: Ctx) -> str:
    e = engine(ctx)
    plugin = ""
    if has_compose_plugin(ctx):
        plugin = f"  compose: Docker Compose (Docker Inc.)\n    Version:  v{compose_cli.version(ctx)}\n    Path:     /usr/libexec/docker/cli-plugins/docker-compose\n"  # noqa: E501
    return f"Client:\n Version:    {e['docker']}\n Context:    default\n Debug Mode: false\n Plugins:\n{plugin}\n"  # noqa: E501


def info(ctx: Ctx, args: list[str]) -> int:
    inside = ctx.system
    d = inside.docker
    e = engine(ctx)
    fmt = format_arg(args)
    for b in d.boxes.values():
        d.refresh(b)
    running = sum(1 for b in d.boxes.values() if b.state == "running")
    data = {
        "ServerVersion": e["docker"],
        "Containers": len(d.boxes),
        "ContainersRunning": running,
        "ContainersStopped": len(d.boxes) - running,
        "Images": len(d.images),
        "Driver": "overlay2",
        "OperatingSystem": inside.os_pretty,
        "Name": inside.hostname,
        "CgroupVersion": "2",
    }
    if fmt and d.running:
        ctx.out(render(fmt, data) + "\n")
        return 0
    if not fmt:
        ctx.out(_client_block(ctx))
    if not d.running:
        if fmt:
            ctx.err(SOCKET_ERROR)
            return 1
        ctx.out("Server:\n")
        ctx.err(f"ERROR: {SOCKET_ERROR}errors pretty printing info\n")
        return 1
    ctx.out(
        f"Server:\n Containers: {len(d.boxes)}\n  Running: {running}\n  Paused: 0\n"
        f"  Stopped: {len(d.boxes) - running}\n Images: {len(d.images)}\n"
        f" Server Version: {e['docker']}\n Storage Driver: overlay2\n  Backing Filesystem: extfs\n"
        "  Supports d_type: true\n  Using metacopy: false\n  Native Overlay Diff: false\n"
        "  userxattr: true\n Logging Driver: json-file\n Cgroup Driver: cgroupfs\n Cgroup Version: 2\n"  # noqa: E501
        " Plugins:\n  Volume: local\n  Network: bridge host ipvlan macvlan null overlay\n"
        "  Log: awslogs fluentd gcplogs gelf journald json-file local splunk syslog\n"
        f" Swarm: inactive\n Runtimes: io.containerd.runc.v2 runc\n Default Runtime: runc\n"
        f" Init Binary: docker-init\n containerd version: {e['containerd']}\n runc version: {e['runc']}\n"  # noqa: E501
        " Security Options:\n  seccomp\n   Profile: builtin\n  cgroupns\n"
        f" Kernel Version: 6.14.11-4-pve\n Operating System: {inside.os_pretty}\n OSType: linux\n"
        f" Architecture: x86_64\n CPUs: 2\n Total Memory: 1.953GiB\n Name: {inside.hostname}\n"
        f" ID: {images.digest(str(inside.vmid), 8)}-{images.digest('id' + str(inside.vmid), 4)}\n"
        " Docker Root Dir: /var/lib/docker\n Debug Mode: false\n Experimental: false\n"
        " Insecure Registries:\n  ::1/128\n  127.0.0.0/8\n Live Restore Enabled: false\n\n"
    )
    return 0


def version(ctx: Ctx, args: list[str]) -> int:
    e = engine(ctx)
    d = ctx.system.docker
    fmt = format_arg(args)
    data = {
        "Client": {
            "Version": e["docker"],
            "ApiVersion": e["api"],
            "GoVersion": e["go"],
            "Os": "linux",
            "Arch": "amd64",
        },
        "Server": {
            "Version": e["docker"],
            "ApiVersion": e["api"],
            "MinAPIVersion": "1.24",
            "GoVersion": e["go"],
            "Os": "linux",
            "Arch": "amd64",
        }
        if d.running
        else None,
    }
    if fmt:
        if not d.running and "Server" in fmt:
            ctx.err(SOCKET_ERROR)
            return 1
        ctx.out(render(fmt, data) + "\n")
        return 0
    ctx.out(
        f"Client:\n Version:           {e['docker']}\n API version:       {e['api']}\n"
        f" Go version:        {e['go']}\n Git commit:        {images.digest(e['docker'], 7)}\n"
        " Built:             Wed Aug 13 19:46:49 2025\n OS/Arch:           linux/amd64\n"
        " Context:           default\n"
    )
    if not d.running:
        ctx.out("\n")
        ctx.err(SOCKET_ERROR)
        return 1
    ctx.out(
        f"\nServer:\n Engine:\n  Version:          {e['docker']}\n  API version:      {e['api']} (minimum version 1.24)\n"  # noqa: E501
        f"  Go version:       {e['go']}\n  Git commit:       {images.digest('e' + e['docker'], 7)}\n"  # noqa: E501
        "  Built:            Wed Aug 13 19:46:49 2025\n  OS/Arch:          linux/amd64\n  Experimental:     false\n"  # noqa: E501
        f" containerd:\n  Version:          {e['containerd']}\n runc:\n  Version:          {e['runc']}\n"  # noqa: E501
        " docker-init:\n  Version:          0.19.0\n"
    )
    return 0
