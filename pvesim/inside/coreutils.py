"""File and process utilities (busybox on Alpine, GNU coreutils on Debian), with their wording."""

from __future__ import annotations

import re
import time

from .fs import norm
from .shell import Ctx


def _busybox(ctx: Ctx) -> bool:
    return ctx.shell.flavor.name == "ash"


def _flags(argv: list[str], known: str) -> tuple[set[str], list[str]]:
    flags: set[str] = set()
    rest: list[str] = []
    done = False
    for a in argv[1:]:
        if not done and a == "--":
            done = True
        elif not done and a.startswith("-") and len(a) > 1 and all(c in known for c in a[1:]):
            flags.update(a[1:])
        else:
            rest.append(a)
    return flags, rest


async def cat(ctx: Ctx, argv: list[str]) -> int:
    _, files = _flags(argv, "uvetn")
    status = 0
    for f in files or ["-"]:
        if f == "-":
            ctx.out(await ctx.read_stdin())
            continue
        try:
            ctx.out(ctx.fs.read(ctx.path(f)))
        except OSError as exc:
            status = 1
            if _busybox(ctx):
                ctx.err(
                    f"cat: read error: {exc.strerror}\n"
                    if isinstance(exc, IsADirectoryError)
                    else f"cat: can't open '{f}': {exc.strerror}\n"
                )
            else:
                ctx.err(f"cat: {f}: {exc.strerror}\n")
    return status


async def tee(ctx: Ctx, argv: list[str]) -> int:
    flags, files = _flags(argv, "a")
    data = await ctx.read_stdin()
    for f in files:
        ctx.fs.write(ctx.path(f), data, append="a" in flags)
    ctx.out(data)
    return 0


async def mkdir(ctx: Ctx, argv: list[str]) -> int:
    args = list(argv[1:])
    parents, mode, dirs = False, None, []
    while args:
        a = args.pop(0)
        if a == "--":
            dirs.extend(args)
            break
        if a in ("-p", "--parents"):
            parents = True
        elif a == "-m":
            mode = int(args.pop(0), 8) if args else None
        elif re.fullmatch(r"-[pv]+", a):
            parents = parents or "p" in a
        else:
            dirs.append(a)
    status = 0
    for d in dirs:
        try:
            ctx.fs.mkdir(ctx.path(d), parents=parents)
            if mode is not None:
                ctx.fs.chmod(ctx.path(d), mode)
        except OSError as exc:
            status = 1
            verb = "can't create" if _busybox(ctx) else "cannot create"
            ctx.err(f"mkdir: {verb} directory '{d}': {exc.strerror}\n")
    return status


async def rm(ctx: Ctx, argv: list[str]) -> int:
    flags, paths = _flags(argv, "rRfvid")
    force, recursive = "f" in flags, bool({"r", "R"} & flags)
    status = 0
    for p in paths:
        path = ctx.path(p)
        if path == "/":
            ctx.err(
                "rm: can't remove '/'\n"
                if _busybox(ctx)
                else "rm: it is dangerous to operate recursively on '/'\n"
            )
            status = 1
            continue
        if not ctx.fs.exists(path):
            if not force:
                ctx.err(
                    f"rm: {'can' + chr(39) + 't' if _busybox(ctx) else 'cannot'} remove "
                    f"'{p}': No such file or directory\n"
                )
                status = 1
            continue
        if ctx.fs.is_dir(path) and not recursive:
            ctx.err(
                f"rm: '{p}' is a directory\n"
                if _busybox(ctx)
                else f"rm: cannot remove '{p}': Is a directory\n"
            )
            status = 1
            continue
        ctx.fs.remove(path, recursive=recursive)
    return status


async def rmdir(ctx: Ctx, argv: list[str]) -> int:
    status = 0
    for p in argv[1:]:
        try:
            ctx.fs.rmdir(ctx.path(p))
        except OSError as exc:
            ctx.err(f"rmdir: '{p}': {exc.strerror}\n")
            status = 1
    return status


async def touch(ctx: Ctx, argv: list[str]) -> int:
    status = 0
    for p in [a for a in argv[1:] if not a.startswith("-")]:
        path = ctx.path(p)
        try:
            ctx.fs.write(path, b"", append=True)
        except OSError as exc:
            ctx.err(f"touch: {p}: {exc.strerror}\n")
            status = 1
    return status


async def cp(ctx: Ctx, argv: list[str]) -> int:
    _flags_, paths = _flags(argv, "rRfpav")
    if len(paths) < 2:
        ctx.err("cp: missing destination file operand\n")
        return 1
    *sources, dest = paths
    status = 0
    for src in sources:
        try:
            data = ctx.fs.read(ctx.path(src))
            target = ctx.path(dest)
            if ctx.fs.is_dir(target):
                target = norm(src.rsplit("/", 1)[-1], target)
            ctx.fs.write(target, data, mode=ctx.fs.mode(ctx.path(src)))
        except OSError as exc:
            ctx.err(f"cp: can't stat '{src}': {exc.strerror}\n")
            status = 1
    return status


async def mv(ctx: Ctx, argv: list[str]) -> int:
    status = await cp(ctx, argv)
    if status == 0:
        for src in [a for a in argv[1:-1] if not a.startswith("-")]:
            ctx.fs.remove(ctx.path(src), recursive=True)
    return status


def _mode_string(is_dir: bool, mode: int) -> str:
    bits = "rwxrwxrwx"
    return ("d" if is_dir else "-") + "".join(
        b if mode & (1 << (8 - i)) else "-" for i, b in enumerate(bits)
    )


async def ls(ctx: Ctx, argv: list[str]) -> int:
    flags, paths = _flags(argv, "lah1AdF")
    status = 0
    out: list[str] = []
    for p in paths or ["."]:
        path = ctx.path(p)
        if not ctx.fs.exists(path):
            ctx.err(
                f"ls: {p}: No such file or directory\n"
                if _busybox(ctx)
                else f"ls: cannot access '{p}': No such file or directory\n"
            )
            status = 1 if _busybox(ctx) else 2
            continue
        if ctx.fs.is_dir(path) and "d" not in flags:
            names = ctx.fs.listdir(path)
            if "a" not in flags and "A" not in flags:
                names = [n for n in names if not n.startswith(".")]
            entries = [(n, norm(n, path)) for n in names]
        else:
            entries = [(p, path)]
        for name, full in entries:
            if "l" in flags:
                is_dir = ctx.fs.is_dir(full)
                stamp = time.strftime("%b %d %H:%M", time.gmtime())
                out.append(
                    f"{_mode_string(is_dir, ctx.fs.mode(full))}    1 root     root   "
                    f"  {ctx.fs.size(full):>10} {stamp} {name}\n"
                )
            else:
                out.append(f"{name}\n")
    ctx.out("".join(out))
    return status


async def chmod(ctx: Ctx, argv: list[str]) -> int:
    args = [a for a in argv[1:] if a not in ("-R", "-v")]
    if len(args) < 2:
        ctx.err("chmod: missing operand\n")
        return 1
    spec, paths = args[0], args[1:]
    status = 0
    for p in paths:
        path = ctx.path(p)
        if not ctx.fs.exists(path):
            ctx.err(
                f"chmod: {p}: No such file or directory\n"
                if _busybox(ctx)
                else f"chmod: cannot access '{p}': No such file or directory\n"
            )
            status = 1
            continue
        mode = ctx.fs.mode(path)
        if re.fullmatch(r"[0-7]{1,4}", spec):
            mode = int(spec, 8)
        else:
            for clause in spec.split(","):
                m = re.fullmatch(r"([ugoa]*)([+-=])([rwx]*)", clause)
                if not m:
                    ctx.err(f"chmod: invalid mode '{spec}'\n")
                    return 1
                who = m.group(1) or "a"
                bits = sum({"r": 4, "w": 2, "x": 1}[c] for c in m.group(3))
                mask = sum(
                    bits << s for w, s in (("u", 6), ("g", 3), ("o", 0)) if w in who or "a" in who
                )
                mode = (
                    mode | mask
                    if m.group(2) == "+"
                    else mode & ~mask
                    if m.group(2) == "-"
                    else (mode & ~(0o777 if "a" in who else 0)) | mask
                )
        ctx.fs.chmod(path, mode)
    return status


async def chown(ctx: Ctx, argv: list[str]) -> int:
    return 0
