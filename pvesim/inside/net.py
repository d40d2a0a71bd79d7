"""Network utilities: `ip`, `wget` (busybox or GNU) and `curl`, answering from the Docker model.

A request to 127.0.0.1, localhost or the CT's own address reaches whatever a running container
publishes (or listens on, with host networking) on that port, once the app inside is up.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from urllib.parse import urlsplit

from .shell import Ctx


class NetError(Exception):
    """`kind`: refused | reset | bad_address | timeout."""

    def __init__(self, kind: str, host: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.host = host


def _network(addr: str) -> tuple[str, int, str, str]:
    """(address, prefix, broadcast, gateway) from `10.0.0.5` or `10.0.0.5/24`."""
    iface = ipaddress.ip_interface(addr if "/" in addr else f"{addr}/24")
    net = iface.network
    gateway = str(next(net.hosts()))
    return str(iface.ip), net.prefixlen, str(net.broadcast_address), gateway


async def ip(ctx: Ctx, argv: list[str]) -> int:
    args = [a for a in argv[1:] if a not in ("-4", "-6", "-o", "-br", "-c")]
    one_line = "-o" in argv
    inet6 = "-6" in argv
    obj = args[0] if args else ""
    addr = ctx.system.ip_address
    if obj in ("r", "ro", "route"):
        if addr:
            address, prefix, _b, gw = _network(addr)
            net = ipaddress.ip_interface(f"{address}/{prefix}").network
            ctx.out(f"default via {gw} dev eth0 \n{net} dev eth0 scope link  src {address} \n")
        return 0
    if obj not in ("a", "addr", "address"):
        ctx.err(
            f'Object "{obj}" is unknown, try "ip help".\n'
            if obj
            else "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n"
        )
        return 1 if obj else 255
    rest = [a for a in args[1:] if a not in ("show", "list", "dev")]
    if rest and rest[0] not in ("eth0", "lo"):
        ctx.err(f'Device "{rest[0]}" does not exist.\n')
        return 1
    out = []
    lo = not rest or rest[0] == "lo"
    if lo and not inet6:
        out.append(
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1000\n"
        )
        out.append(
            "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n"
        )
    if not rest or rest[0] == "eth0":
        link = f"2: eth0@if{ctx.system.vmid % 100 + 20}: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue state UP qlen 1000\n"  # noqa: E501
        if addr and not inet6:
            address, prefix, brd, _gw = _network(addr)
            inet = f"    inet {address}/{prefix} brd {brd} scope global eth0\n"
            if one_line:
                out.append(
                    f"2: eth0    inet {address}/{prefix} brd {brd} scope global eth0\\ "
                    "      valid_lft forever preferred_lft forever\n"
                )  # noqa: E501
            else:
                out.append(link + inet + "       valid_lft forever preferred_lft forever\n")
        elif not one_line:
            out.append(link)
    ctx.out("".join(out))
    return 0


def _target(url: str) -> tuple[str, int, str, str]:
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        scheme = parts.scheme or "http"
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return url.split("://", 1)[1].split("/", 1)[0], 80, "/", "http"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return host, port, path, scheme


async def wget(ctx: Ctx, argv: list[str]) -> int:
    args = list(argv[1:])
    quiet = spider = False
    output: str | None = None
    urls: list[str] = []
    while args:
        a = args.pop(0)
        if a == "--spider":
            spider = True
        elif a.startswith("--output-document="):
            output = a.split("=", 1)[1]
        elif a in ("--output-document", "--header", "--user-agent", "--tries", "--timeout"):
            value = args.pop(0) if args else ""
            output = value if a == "--output-document" else output
        elif a.startswith("--"):
            continue
        elif a.startswith("-") and len(a) > 1:
            for i, c in enumerate(a[1:], 1):
                if c == "q":
                    quiet = True
                elif c in "OTUYPto":  # options taking a value: the rest, or the next argument
                    value = a[i + 1 :] or (args.pop(0) if args else "")
                    output = value if c == "O" else output
                    break
        else:
            urls.append(a)
    if not urls:
        ctx.err(
            "BusyBox v1.37.0 (2025-06-17 10:00:00 UTC) multi-call binary.\n"
            "\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR] URL...\n"
        )
        return 1
    busybox = ctx.shell.flavor.name == "ash"
    host, port, path, _scheme = _target(urls[0])
    if not quiet and busybox:
        ctx.err(f"Connecting to {host}:{port} ({host}:{port})\n")
    try:
        status, body = await ctx.system.http_get(host, port, path)
    except NetError as exc:
        if busybox:
            msg = {
                "refused": f"wget: can't connect to remote host ({host}): Connection refused",
                "reset": "wget: error getting response: Connection reset by peer",
                "bad_address": f"wget: bad address '{host}'",
                "timeout": "wget: download timed out",
            }[exc.kind]  # noqa: E501
            ctx.err(msg + "\n")
            return 1
        ctx.err(
            f"Connecting to {host}:{port}... failed: Connection refused.\n"
            if exc.kind != "bad_address"
            else f"wget: unable to resolve host address '{host}'\n"
        )
        return 4
    if status >= 400:
        reason = {
            404: "Not Found",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }.get(status, "Error")
        ctx.err(
            f"wget: server returned error: HTTP/1.1 {status} {reason}\n"
            if busybox
            else f"ERROR {status}: {reason}.\n"
        )
        return 1 if busybox else 8
    if spider:
        if not quiet:
            ctx.err("remote file exists\n")
        return 0
    name = output or (path.split("?")[0].rstrip("/").rsplit("/", 1)[-1] or "index.html")
    if name == "-":
        ctx.out(body)
        return 0
    try:
        ctx.fs.write(ctx.path(name), body)
    except OSError as exc:
        ctx.err(f"wget: can't open '{name}': {exc.strerror}\n")
        return 1
    if not quiet:
        ctx.err(
            f"saving to '{name}'\n{name:<20} 100% |********************************| "
            f"{len(body)}  0:00:00 ETA\n'{name}' saved\n"
        )
    return 0


async def curl(ctx: Ctx, argv: list[str]) -> int:
    args = list(argv[1:])
    fail = silent = show_error = head = False
    output = write_out = None
    urls: list[str] = []
    while args:
        a = args.pop(0)
        if a in ("-o", "--output") and args:
            output = args.pop(0)
        elif a in ("-w", "--write-out") and args:
            write_out = args.pop(0)
        elif (
            a
            in (
                "-m",
                "--max-time",
                "--connect-timeout",
                "-H",
                "--header",
                "-A",
                "-X",
                "--retry",
                "-u",
                "-d",
                "--data",
            )
            and args
        ):
            args.pop(0)
        elif a.startswith("--"):
            fail = fail or a == "--fail"
            silent = silent or a == "--silent"
            show_error = show_error or a == "--show-error"
            head = head or a == "--head"
        elif a.startswith("-") and len(a) > 1:
            fail = fail or "f" in a
            silent = silent or "s" in a
            show_error = show_error or "S" in a
            head = head or "I" in a
        else:
            urls.append(a)
    if not urls:
        ctx.err(
            "curl: no URL specified!\ncurl: try 'curl --help' or 'curl --manual' for "
            "more information\n"
        )
        return 2
    host, port, path, _scheme = _target(urls[0])
    started = time.monotonic()

    def error(code: int, text: str) -> int:
        if not silent or show_error:
            ctx.err(f"curl: ({code}) {text}\n")
        return code

    try:
        status, body = await ctx.system.http_get(host, port, path)
    except NetError as exc:
        ms = int((time.monotonic() - started) * 1000)
        if exc.kind == "bad_address":
            return error(6, f"Could not resolve host: {host}")
        if exc.kind == "reset":
            return error(56, "Recv failure: Connection reset by peer")
        if exc.kind == "timeout":
            return error(28, f"Connection timed out after {ms} milliseconds")
        return error(
            7, f"Failed to connect to {host} port {port} after {ms} ms: Could not connect to server"
        )
    if fail and status >= 400:
        return error(22, f"The requested URL returned error: {status}")
    payload = (
        f"HTTP/1.1 {status} OK\r\ncontent-length: {len(body)}\r\n\r\n".encode() if head else body
    )
    if output:
        ctx.fs.write(ctx.path(output), payload)
    else:
        ctx.out(payload)
    if write_out:
        ctx.out(write_out.replace("%{http_code}", str(status)).replace("\\n", "\n"))
    return 0


async def nc(ctx: Ctx, argv: list[str]) -> int:
    """busybox `nc -z [-v] [-w SEC] HOST PORT`: does something accept TCP connections there?"""
    args = list(argv[1:])
    verbose = zero = False
    rest: list[str] = []
    while args:
        a = args.pop(0)
        if a in ("-w", "-W", "-i") and args:
            args.pop(0)
        elif a.startswith("-") and len(a) > 1:
            zero = zero or "z" in a
            verbose = verbose or "v" in a
        else:
            rest.append(a)
    if len(rest) != 2 or not rest[1].isdigit() or not zero:
        ctx.err("BusyBox v1.37.0 multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\n")
        return 1
    host, port = rest[0], int(rest[1])
    await asyncio.sleep(0)
    try:
        ctx.system.connect(host, port)
    except NetError as exc:
        if verbose:
            why = {"bad_address": "bad address", "refused": "Connection refused"}.get(exc.kind)
            ctx.err(f"nc: {host} ({host}:{port}): {why or 'Connection reset by peer'}\n")
        return 1 if exc.kind != "reset" else 0
    if verbose:
        ctx.err(f"{host} ({host}:{port}) open\n")
    return 0
