"""Process, system and text utilities: hostname, id, sleep, env, uname, date, which, sh, head,
tail, wc, grep, basename, dirname."""

from __future__ import annotations

import re
import time

from .coreutils import _busybox, _flags
from .shell import Ctx, Io, Stdin


async def hostname(ctx: Ctx, argv: list[str]) -> int:
    if "-i" in argv or "-I" in argv:
        ip = ctx.system.ip_address
        ctx.out(f"{ip}\n" if ip else "\n")
        return 0
    ctx.out(f"{ctx.system.hostname}\n")
    return 0


async def id_(ctx: Ctx, argv: list[str]) -> int:
    if "-u" in argv or "-g" in argv:
        ctx.out("0\n")
    elif "-un" in argv or "-nu" in argv:
        ctx.out("root\n")
    else:
        groups = (
            "0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel),11(floppy),20(dialout),26(tape),27(video)"
            if _busybox(ctx)
            else "0(root)"
        )
        ctx.out(f"uid=0(root) gid=0(root) groups={groups}\n")
    return 0


async def whoami(ctx: Ctx, argv: list[str]) -> int:
    ctx.out("root\n")
    return 0


async def sleep(ctx: Ctx, argv: list[str]) -> int:
    total = 0.0
    for a in argv[1:]:
        m = re.fullmatch(r"(\d+(?:\.\d*)?)([smhd]?)", a)
        if not m:
            ctx.err(f"sleep: invalid number '{a}'\n")
            return 1
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    await ctx.sleep(total)
    return 0


async def env(ctx: Ctx, argv: list[str]) -> int:
    """`env [-i] [-u NAME]... [NAME=VALUE]... [COMMAND...]` (GNU coreutils and busybox alike)."""
    args = argv[1:]
    clear = False
    unset: list[str] = []
    while args and args[0].startswith("-") and args[0] != "-":
        opt = args.pop(0)
        if opt == "--":
            break
        if opt in ("-i", "--ignore-environment"):
            clear = True
        elif opt in ("-u", "--unset") and args:
            unset.append(args.pop(0))
        elif opt.startswith("--unset="):
            unset.append(opt.split("=", 1)[1])
        else:
            ctx.err(f"env: invalid option -- '{opt.lstrip('-')[:1]}'\n")
            return 125
    extra = {}
    while args and "=" in args[0]:
        k, _, v = args.pop(0).partition("=")
        extra[k] = v
    base = {} if clear else {k: v for k, v in ctx.env.items() if k not in unset}
    merged = {**base, **extra}
    if args:
        sub = ctx.shell.subshell()
        for name in list(sub.exported):
            if name not in merged:
                sub.exported.discard(name)
                sub.vars.pop(name, None)
        sub.vars.update(merged)
        sub.exported.update(merged)
        return await sub.run_argv(args, ctx.io)
    ctx.out("".join(f"{k}={v}\n" for k, v in merged.items()))
    return 0


async def _inputs(ctx: Ctx, name: str, files: list[str]) -> bytes | None:
    """The files' contents (stdin when none); None after printing the tool's error."""
    if not files:
        return await ctx.read_stdin()
    chunks = []
    for f in files:
        try:
            chunks.append(ctx.fs.read(ctx.path(f)))
        except OSError as exc:
            if _busybox(ctx):
                ctx.err(f"{name}: can't open '{f}': {exc.strerror}\n")
            else:
                ctx.err(f"{name}: {f}: {exc.strerror}\n")
            return None
    return b"".join(chunks)


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _count(argv: list[str], default: int = 10) -> tuple[int, list[str]]:
    n, rest, args = default, [], list(argv[1:])
    while args:
        a = args.pop(0)
        if a == "-n" and args:
            value = args.pop(0)
            if not value.lstrip("+").isdigit():
                raise ValueError(f"invalid number '{value}'")
            n = int(value.lstrip("+"))
        elif re.fullmatch(r"-n?\d+", a):
            n = int(a.lstrip("-n"))
        elif a.startswith("-"):
            continue
        else:
            rest.append(a)
    return n, rest


async def head(ctx: Ctx, argv: list[str]) -> int:
    n, files = _count(argv)
    data = await _inputs(ctx, argv[0], files[:1])
    if data is None:
        return 1
    ctx.out(b"".join(_lines(data)[:n]))
    return 0


async def tail(ctx: Ctx, argv: list[str]) -> int:
    n, files = _count(argv)
    data = await _inputs(ctx, argv[0], files[:1])
    if data is None:
        return 1
    ctx.out(b"".join(_lines(data)[-n:] if n else []))
    return 0


async def wc(ctx: Ctx, argv: list[str]) -> int:
    flags, files = _flags(argv, "lwc")
    data = await _inputs(ctx, argv[0], files[:1])
    if data is None:
        return 1
    counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
    shown = [str(counts[f]) for f in "lwc" if f in flags] or [str(counts[f]) for f in "lwc"]
    ctx.out(" ".join(shown) + (f" {files[0]}" if files else "") + "\n")
    return 0


async def grep(ctx: Ctx, argv: list[str]) -> int:
    flags, rest = _flags(argv, "qivEFcxnos")
    if not rest:
        ctx.err("Usage: grep [-HhnlLoqvsrRiwFE] PATTERN [FILE]...\n")
        return 2
    pattern, files = rest[0], rest[1:]
    regex = re.escape(pattern) if "F" in flags else pattern.replace(r"\|", "|")
    if "x" in flags:
        regex = f"(?:{regex})$"
    try:
        compiled = re.compile(regex, re.I if "i" in flags else 0)
    except re.error:
        ctx.err(f"grep: bad regex '{pattern}'\n")
        return 2
    data = await _inputs(ctx, argv[0], files)
    if data is None:
        return 2
    hits = [
        ln
        for ln in data.decode(errors="replace").splitlines()
        if (compiled.search(ln) is not None) != ("v" in flags)
    ]
    if "c" in flags:
        ctx.out(f"{len(hits)}\n")
    elif "q" not in flags:
        ctx.out("".join(f"{h}\n" for h in hits))
    return 0 if hits else 1


async def uname(ctx: Ctx, argv: list[str]) -> int:
    parts = {"s": "Linux", "n": ctx.system.hostname, "r": "6.14.11-4-pve", "m": "x86_64"}
    flags, _ = _flags(argv, "asnrmvpio")
    if "a" in flags:
        ctx.out(
            f"Linux {ctx.system.hostname} 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4 "
            "x86_64 Linux\n"
        )
        return 0
    ctx.out(" ".join(parts[f] for f in "snrm" if f in flags or (not flags and f == "s")) + "\n")
    return 0


async def date(ctx: Ctx, argv: list[str]) -> int:
    now = ctx.system.wall(ctx.system.now())
    fmt = next((a[1:] for a in argv[1:] if a.startswith("+")), None)
    if fmt:
        ctx.out(time.strftime(fmt.replace("%N", "000000000"), time.gmtime(now)) + "\n")
    else:
        ctx.out(time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(now)) + "\n")
    return 0


def _operand(argv: list[str]) -> str | None:
    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    return args[0] if args else None


async def basename(ctx: Ctx, argv: list[str]) -> int:
    path = _operand(argv)
    if path is None:
        ctx.err("basename: missing operand\n")
        return 1
    ctx.out((path.rstrip("/").rsplit("/", 1)[-1] or "/") + "\n")
    return 0


async def dirname(ctx: Ctx, argv: list[str]) -> int:
    path = _operand(argv)
    if path is None:
        ctx.err("dirname: missing operand\n")
        return 1
    stripped = path.rstrip("/")
    if "/" not in stripped:
        ctx.out(("/" if path.startswith("/") else ".") + "\n")
        return 0
    ctx.out((stripped.rsplit("/", 1)[0].rstrip("/") or "/") + "\n")
    return 0


async def which(ctx: Ctx, argv: list[str]) -> int:
    from .builtins import which as lookup

    status = 0
    for name in argv[1:]:
        path = lookup(ctx.shell, name)
        if path is None or path == name:
            status = 1
            continue
        ctx.out(f"{path}\n")
    return status


async def sh(ctx: Ctx, argv: list[str]) -> int:
    """`sh -c SCRIPT [NAME [ARGS]]`, `sh FILE`, or a script on stdin."""
    sub = ctx.shell.subshell()
    sub.vars = dict(ctx.env)
    sub.exported = set(ctx.env)
    sub.options = type(sub.options)()
    sub.prog = argv[0]
    args = list(argv[1:])
    script: str | None = None
    while args and args[0].startswith(("-", "+")) and args[0] not in ("-", "--"):
        opt = args.pop(0)
        for flag in opt[1:]:
            if flag == "c":
                if not args:
                    ctx.err(f"{argv[0]}: -c requires an argument\n")
                    return 2
                script = args.pop(0)
            elif flag in "euxs":
                setattr(
                    sub.options,
                    {"e": "errexit", "u": "nounset", "x": "xtrace"}.get(flag, "errexit"),
                    opt[0] == "-" if flag != "s" else sub.options.errexit,
                )
    io = ctx.io
    if script is None:
        if args and args[0] not in ("-", "--"):
            path = ctx.path(args[0])
            if not ctx.fs.is_file(path):
                ctx.err(f"{argv[0]}: can't open '{args[0]}': No such file or directory\n")
                return 2
            script = ctx.fs.read(path).decode(errors="replace")
            sub.prog = args.pop(0)
        else:
            script = (await ctx.read_stdin()).decode(errors="replace")
            io = Io(Stdin(b""), io.out, io.err)
    elif args:
        sub.prog = args.pop(0)
    sub.positional = args
    return await sub.run_script(script, io)
