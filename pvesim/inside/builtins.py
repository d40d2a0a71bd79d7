"""The shell's built-in commands: those that change the shell itself, plus echo, printf and test."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from .shell import Io, LoopJump, Shell, ShellExit

Builtin = Callable[[Shell, list[str], Io, int], Awaitable[int]]
SPECIAL: dict[str, Builtin] = {}


def builtin(*names: str):
    def register(fn: Builtin) -> Builtin:
        for name in names:
            SPECIAL[name] = fn
        return fn

    return register


def _err(shell: Shell, io: Io, line: int, text: str) -> None:
    io.err(f"{shell.flavor.prefix(shell.prog, line)}{text}\n".encode())


@builtin(":", "true", "wait", "trap", "umask", "local")
async def _true(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    return 0


@builtin("false")
async def _false(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    return 1


@builtin("cd")
async def _cd(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    target = argv[1] if len(argv) > 1 else shell.vars.get("HOME", "/root")
    if target == "-":
        target = shell.vars.get("OLDPWD", shell.cwd)
    from .fs import norm

    dest = norm(target, shell.cwd)
    if not shell.fs.is_dir(dest):
        why = "Not a directory" if shell.fs.exists(dest) else "No such file or directory"
        if shell.flavor.name == "ash":
            _err(shell, io, line, f"cd: can't cd to {target}: {why}")
        elif shell.flavor.name == "dash":
            _err(shell, io, line, f"cd: can't cd to {target}")
        else:
            _err(shell, io, line, f"cd: {target}: {why}")
        return 2 if shell.flavor.name != "bash" else 1
    shell.vars["OLDPWD"] = shell.cwd
    shell.cwd = dest
    shell.vars["PWD"] = dest
    return 0


@builtin("pwd")
async def _pwd(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    io.out(f"{shell.cwd}\n".encode())
    return 0


@builtin("export", "readonly")
async def _export(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    for arg in argv[1:]:
        if arg == "-p":
            for k in sorted(shell.exported):
                if k in shell.vars:
                    io.out(f"export {k}='{shell.vars[k]}'\n".encode())
            continue
        name, eq, value = arg.partition("=")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            _err(shell, io, line, f"export: {arg}: bad variable name")
            return 2 if shell.flavor.name != "bash" else 1
        if eq:
            shell.vars[name] = value
        shell.exported.add(name)
    return 0


@builtin("unset")
async def _unset(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    for name in argv[1:]:
        if name in ("-v", "-f"):
            continue
        shell.vars.pop(name, None)
        shell.exported.discard(name)
    return 0


_SET_FLAGS = {"e": "errexit", "u": "nounset", "x": "xtrace"}


@builtin("set")
async def _set(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    args = argv[1:]
    if not args:
        for k in sorted(shell.vars):
            io.out(f"{k}='{shell.vars[k]}'\n".encode())
        return 0
    while args:
        arg = args.pop(0)
        if arg == "--":
            shell.positional = args
            return 0
        if arg in ("-o", "+o"):
            opt = args.pop(0) if args else ""
            if opt not in ("errexit", "nounset", "xtrace", "pipefail"):
                _err(shell, io, line, f"set: illegal option -o {opt}")
                return 2
            setattr(shell.options, opt, arg == "-o")
            continue
        if arg[:1] in "-+" and len(arg) > 1:
            for flag in arg[1:]:
                if flag not in _SET_FLAGS:
                    _err(shell, io, line, f"set: illegal option -{flag}")
                    return 2
                setattr(shell.options, _SET_FLAGS[flag], arg[0] == "-")
            continue
        shell.positional = [arg, *args]
        return 0
    return 0


@builtin("exit")
async def _exit(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    raise ShellExit(
        int(argv[1]) & 0xFF if len(argv) > 1 and argv[1].lstrip("-").isdigit() else shell.status
    )


@builtin("break", "continue")
async def _loop_jump(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    """Outside a loop they do nothing (as dash and busybox ash); a bad count is fatal, like any
    error of a special built-in (POSIX 2.8.1)."""
    levels = 1
    if len(argv) > 1:
        if not argv[1].isdigit() or int(argv[1]) < 1:
            _err(shell, io, line, f"{argv[0]}: Illegal number: {argv[1]}")
            raise ShellExit(2)
        levels = int(argv[1])
    if shell.loop_depth == 0:
        return 0
    raise LoopJump(argv[0], min(levels, shell.loop_depth))


@builtin("shift")
async def _shift(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    n = int(argv[1]) if len(argv) > 1 else 1
    if n > len(shell.positional):
        _err(shell, io, line, "shift: can't shift that many")
        return 2
    shell.positional = shell.positional[n:]
    return 0


@builtin("read")
async def _read(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    names = [a for a in argv[1:] if not a.startswith("-")] or ["REPLY"]
    raw = await io.stdin.readline()
    if not raw:
        for name in names:
            shell.vars[name] = ""
        return 1
    text = raw.decode(errors="replace").rstrip("\n")
    parts = text.split(None, len(names) - 1) if text.strip() else []
    for i, name in enumerate(names):
        shell.vars[name] = parts[i].strip() if i < len(parts) else ""
    return 0


@builtin("eval")
async def _eval(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    from .shell_parse import parse
    from .shell_syntax import ShellSyntaxError

    try:
        tree = parse(" ".join(argv[1:]))
    except ShellSyntaxError as exc:
        io.err(shell.flavor.syntax(shell.prog, exc).encode())
        return 2
    return await shell.run_sequence(tree, io)


@builtin(".", "source")
async def _source(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    from .fs import norm

    if len(argv) < 2 or not shell.fs.is_file(norm(argv[1], shell.cwd)):
        _err(shell, io, line, f".: {argv[1] if len(argv) > 1 else ''}: not found")
        return 2 if shell.flavor.name != "bash" else 1
    from .shell_parse import parse

    text = shell.fs.read(norm(argv[1], shell.cwd)).decode(errors="replace")
    return await shell.run_sequence(parse(text), io)


@builtin("exec")
async def _exec(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    if len(argv) == 1:
        return 0
    raise ShellExit(await shell._invoke(argv[1:], {}, io, line))


def which(shell: Shell, name: str) -> str | None:
    if name in SPECIAL or name in ("echo", "printf", "test", "["):
        return name
    fn = shell.commands.get(name)
    if fn is None or not shell.available(name):
        return None
    return getattr(fn, "path", f"/usr/bin/{name}")


@builtin("command")
async def _command(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    args = argv[1:]
    if args and args[0] in ("-v", "-V"):
        status = 0
        for name in args[1:]:
            path = which(shell, name)
            if path is None:
                status = 127 if args[0] == "-V" else 1
                if args[0] == "-V":
                    _err(shell, io, line, f"command: {name}: not found")
                continue
            io.out(f"{path}\n".encode() if args[0] == "-v" else f"{name} is {path}\n".encode())
        return status
    if args and args[0] == "-p":
        args = args[1:]
    return await shell._invoke(args, {}, io, line) if args else 0


@builtin("type")
async def _type(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    status = 0
    for name in argv[1:]:
        path = which(shell, name)
        if path is None:
            io.out(f"{name}: not found\n".encode())
            status = 127 if shell.flavor.name != "bash" else 1
        elif path == name:
            io.out(f"{name} is a shell builtin\n".encode())
        else:
            io.out(f"{name} is {path}\n".encode())
    return status


# --- echo, printf, test: builtins in every sh -------------------------------------------------


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unescape(text: str) -> tuple[str, bool]:
    """Backslash escapes as echo -e and printf %b read them; True when `\\c` stops output."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "c":
                return "".join(out), True
            if n in _ESCAPES:
                out.append(_ESCAPES[n])
                i += 2
                continue
            if n == "0" or n.isdigit():
                m = re.match(r"0?[0-7]{1,3}", text[i + 1 :])
                if m:
                    out.append(chr(int(m.group(), 8) & 0xFF))
                    i += 1 + len(m.group())
                    continue
        out.append(c)
        i += 1
    return "".join(out), False


@builtin("echo")
async def _echo(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    args = argv[1:]
    newline, interpret = True, shell.flavor.name == "dash"
    while (
        args
        and re.fullmatch(r"-[neE]+", args[0])
        and (shell.flavor.name != "dash" or args[0] == "-n")
    ):
        for flag in args.pop(0)[1:]:
            if flag == "n":
                newline = False
            elif flag == "e":
                interpret = True
            elif flag == "E":
                interpret = False
    text = " ".join(args)
    stop = False
    if interpret:
        text, stop = unescape(text)
    io.out((text + ("\n" if newline and not stop else "")).encode())
    return 0


_SPEC = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXcsbeEfgG%])")


@builtin("printf")
async def _printf(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    if len(argv) < 2:
        _err(shell, io, line, "printf: usage: printf format [arguments]")
        return 2 if shell.flavor.name == "bash" else 1
    fmt, args = argv[1], list(argv[2:])
    status = 0
    out: list[str] = []
    while True:
        consumed = False
        pos = 0
        for m in _SPEC.finditer(fmt):
            out.append(unescape(fmt[pos : m.start()])[0])
            pos = m.end()
            flags, width, prec, conv = m.groups()
            if conv == "%":
                out.append("%")
                continue
            if width == "*":
                width = args.pop(0) if args else "0"
                consumed = True
            arg = args.pop(0) if args else ""
            consumed = consumed or bool(argv[2:])
            spec = "%" + flags + (width or "") + (f".{prec}" if prec else "")
            if conv in "sb":
                text = unescape(arg)[0] if conv == "b" else arg
                out.append((spec + "s") % text)
            elif conv == "c":
                out.append((spec + "s") % arg[:1])
            else:
                try:
                    num = int(arg, 0) if arg.strip() else 0
                except ValueError:
                    _err(shell, io, line, f"printf: {arg}: invalid number")
                    num, status = 0, 1
                conv = "d" if conv in "iu" else conv
                out.append((spec + conv) % (float(num) if conv in "eEfgG" else num))
        out.append(unescape(fmt[pos:])[0])
        if not args or not consumed:
            break
    io.out("".join(out).encode())
    return status


@builtin("test", "[")
async def _test(shell: Shell, argv: list[str], io: Io, line: int) -> int:
    from .fs import norm

    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            _err(shell, io, line, "[: missing ]")
            return 2
        args = args[:-1]

    def path(p: str) -> str:
        return norm(p, shell.cwd)

    unary = {
        "-f": lambda a: shell.fs.is_file(path(a)),
        "-d": lambda a: shell.fs.is_dir(path(a)),
        "-e": lambda a: shell.fs.exists(path(a)),
        "-r": lambda a: shell.fs.exists(path(a)),
        "-w": lambda a: shell.fs.exists(path(a)),
        "-x": lambda a: shell.fs.exists(path(a)),
        "-s": lambda a: shell.fs.is_file(path(a)) and shell.fs.size(path(a)) > 0,
        "-z": lambda a: a == "",
        "-n": lambda a: a != "",
        "-L": lambda a: False,
        "-h": lambda a: False,
    }
    ints = {
        "-eq": int.__eq__,
        "-ne": int.__ne__,
        "-lt": int.__lt__,
        "-le": int.__le__,
        "-gt": int.__gt__,
        "-ge": int.__ge__,
    }

    class Bad(Exception):
        pass

    def to_int(a: str) -> int:
        if not re.fullmatch(r"\s*-?\d+\s*", a):
            raise Bad(
                f"{argv[0]}: {a}: integer expected"
                if shell.flavor.name != "bash"
                else f"{argv[0]}: {a}: integer expression expected"
            )
        return int(a)

    def expr(items: list[str]) -> bool:
        for i, tok in enumerate(items):
            if tok == "-o" and 0 < i < len(items) - 1:
                return expr(items[:i]) or expr(items[i + 1 :])
        for i, tok in enumerate(items):
            if tok == "-a" and 0 < i < len(items) - 1:
                return expr(items[:i]) and expr(items[i + 1 :])
        if not items:
            return False
        if items[0] == "!":
            return not expr(items[1:])
        if items[0] == "(" and items[-1] == ")":
            return expr(items[1:-1])
        if len(items) == 1:
            return items[0] != ""
        if len(items) == 2 and items[0] in unary:
            return bool(unary[items[0]](items[1]))
        if len(items) == 3:
            a, op, b = items
            if op in ("=", "=="):
                return a == b
            if op == "!=":
                return a != b
            if op in ints:
                return ints[op](to_int(a), to_int(b))
        raise Bad(
            f"{argv[0]}: syntax error" if len(items) < 4 else f"{argv[0]}: too many arguments"
        )

    try:
        return 0 if expr(args) else 1
    except Bad as exc:
        _err(shell, io, line, str(exc))
        return 2
