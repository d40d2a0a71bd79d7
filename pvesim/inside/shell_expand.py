"""Word expansion: parameters, command substitution, arithmetic, field splitting and globbing."""

from __future__ import annotations

import ast
import fnmatch
import operator
import re
from typing import TYPE_CHECKING

from .fs import norm

if TYPE_CHECKING:
    from .shell import Io, Shell

_GLOB = re.compile(r"[*?\[]")
_IFS = " \t\n"


class _Field:
    __slots__ = ("chunks", "quoted", "globby")

    def __init__(self) -> None:
        self.chunks: list[tuple[str, bool]] = []
        self.quoted = False
        self.globby = False

    def add(self, text: str, quoted: bool) -> None:
        self.chunks.append((text, quoted))
        if quoted:
            self.quoted = True
        elif _GLOB.search(text):
            self.globby = True

    def text(self) -> str:
        return "".join(t for t, _ in self.chunks)

    def pattern(self) -> str:
        return "".join(t if not q else _escape(t) for t, q in self.chunks)

    def empty(self) -> bool:
        return not self.quoted and not self.text()


def _escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


async def expand_word(shell: Shell, word: list, io: Io) -> list[str]:
    """A word as the fields a command receives (split, globbed, empty fields dropped)."""
    fields = [_Field()]
    for idx, part in enumerate(word):
        kind = part[0]
        if kind == "lit":
            text, quoted = part[1], part[2]
            if idx == 0 and not quoted and (text == "~" or text.startswith("~/")):
                text = shell.vars.get("HOME", "/root") + text[1:]
            fields[-1].add(text, quoted)
            continue
        quoted = part[-1]
        if kind == "param" and part[1] == "@" and part[2] is None and quoted:
            for n, value in enumerate(shell.positional):
                if n:
                    fields.append(_Field())
                fields[-1].add(value, True)
            if not shell.positional and len(word) == 1:
                return []
            continue
        value = await _expand_part(shell, part, io)
        if quoted:
            fields[-1].add(value, True)
            continue
        ifs = shell.vars.get("IFS", _IFS)
        if not ifs:  # IFS='' : no splitting at all
            fields[-1].add(value, False)
            continue
        pieces = split_fields(value, ifs)
        if value and value[0] in ifs and fields[-1].chunks:
            fields.append(_Field())
        for n, piece in enumerate(pieces):
            if n:
                fields.append(_Field())
            fields[-1].add(piece, not piece)  # an empty field a delimiter made is kept
        if value and value[-1] in ifs:
            fields.append(_Field())
    out: list[str] = []
    for f in fields:
        if f.empty():
            continue
        if f.globby:
            matches = glob(shell, f.pattern())
            if matches:
                out.extend(matches)
                continue
        out.append(f.text())
    return out


def split_fields(value: str, ifs: str) -> list[str]:
    """Field splitting (POSIX 2.6.5): IFS white space (space, tab, newline) collapses and is
    trimmed at both ends; each other IFS character ends a field, with the white space around it,
    so `a::b` with IFS=: is three fields, `a:` one."""
    white = "".join(c for c in ifs if c in _IFS)
    text = value.strip(white)
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        if text[i] not in ifs:
            current.append(text[i])
            i += 1
            continue
        while i < len(text) and text[i] in white:
            i += 1
        if i < len(text) and text[i] in ifs and text[i] not in white:
            i += 1
        while i < len(text) and text[i] in white:
            i += 1
        fields.append("".join(current))
        current = []
    if current:
        fields.append("".join(current))
    return fields


async def expand_string(shell: Shell, word: list, io: Io) -> str:
    """A word without splitting or globbing (assignments, redirection targets, here-docs)."""
    parts = []
    for part in word:
        if part[0] == "lit":
            parts.append(part[1])
        elif part[0] == "param" and part[1] in "@*" and part[2] is None:
            parts.append(" ".join(shell.positional))
        else:
            parts.append(await _expand_part(shell, part, io))
    return "".join(parts)


async def _expand_part(shell: Shell, part: tuple, io: Io) -> str:
    kind = part[0]
    if kind == "cmd":
        return await command_substitution(shell, part[1], io)
    if kind == "arith":
        expr = await _expand_text(shell, part[1], io)
        try:
            return str(arithmetic(shell, expr))
        except (ValueError, ZeroDivisionError, OverflowError):
            from .shell import ShellExit

            what = "divide by zero" if "/" in expr or "%" in expr else "arithmetic syntax error"
            io.err(f"{shell.flavor.prefix(shell.prog, 1)}{what}\n".encode())
            raise ShellExit(2) from None
    _, name, op, arg, _quoted = part
    value = _lookup(shell, name)
    if op is None:
        if value is None and shell.options.nounset and name not in "@*#?$!-0":
            _fail(shell, io, name, "parameter not set")
        return value or ""
    if op == "#len":
        return str(len(value or ""))
    unset = value is None or (op.startswith(":") and value == "")
    base = op.lstrip(":")
    if base == "-":
        return await expand_string(shell, arg, io) if unset else value  # type: ignore[return-value]
    if base == "=":
        if unset:
            shell.vars[name] = await expand_string(shell, arg, io)
            return shell.vars[name]
        return value  # type: ignore[return-value]
    if base == "?":
        if unset:
            msg = await expand_string(shell, arg, io)
            _fail(
                shell,
                io,
                name,
                msg or ("parameter null or not set" if op == ":?" else "parameter not set"),
            )
        return value  # type: ignore[return-value]
    if base == "+":
        return "" if unset else await expand_string(shell, arg, io)
    pattern = await expand_string(shell, arg, io)
    return _trim(value or "", op, pattern)


def _fail(shell: Shell, io: Io, name: str, msg: str) -> None:
    from .shell import ShellExit

    io.err(f"{shell.flavor.prefix(shell.prog, 1)}{name}: {msg}\n".encode())
    raise ShellExit(2 if shell.flavor.name == "dash" else 1)


def _lookup(shell: Shell, name: str) -> str | None:
    if name == "?":
        return str(shell.status)
    if name == "$":
        return "1"
    if name == "#":
        return str(len(shell.positional))
    if name == "0":
        return shell.prog
    if name in "@*":
        return " ".join(shell.positional)
    if name == "!" or name == "-":
        return ""
    if name.isdigit():
        i = int(name)
        return shell.positional[i - 1] if 0 < i <= len(shell.positional) else None
    return shell.vars.get(name)


def _trim(value: str, op: str, pattern: str) -> str:
    rng = range(len(value) + 1)
    if op in ("#", "##"):
        cuts = [i for i in rng if fnmatch.fnmatchcase(value[:i], pattern)]
        if not cuts:
            return value
        return value[(min(cuts) if op == "#" else max(cuts)) :]
    cuts = [i for i in rng if fnmatch.fnmatchcase(value[i:], pattern)]
    if not cuts:
        return value
    return value[: (max(cuts) if op == "%" else min(cuts))]


async def _expand_text(shell: Shell, text: str, io: Io) -> str:
    from .shell_syntax import _Sub

    return await expand_string(shell, _Sub(text).parts(heredoc=True), io)


async def command_substitution(shell: Shell, script: str, io: Io) -> str:
    from .shell import Io as _Io
    from .shell import ShellExit

    buf = bytearray()
    sub = shell.subshell()
    try:
        status = await sub.run_script(script, _Io(io.stdin, buf.extend, io.err))
    except ShellExit as done:
        status = done.status
    shell.status_from_subst = status
    shell.status = status
    return buf.decode(errors="replace").rstrip("\n")


_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: lambda a, b: _cdiv(a, b),
    ast.Div: lambda a, b: _cdiv(a, b),
    ast.Mod: lambda a, b: a - b * _cdiv(a, b),
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.Pow: lambda a, b: _pow(a, b),
}


def _cdiv(a: int, b: int) -> int:
    """C's `/` (the shell's `intmax_t` arithmetic): truncates toward zero, so `-5 / 2` is -2 and
    `-5 % 2` is -1 (Python's `//` floors)."""
    if b == 0:
        raise ZeroDivisionError
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


#: Integer constants as C writes them (POSIX 2.6.4): `0x1f` hexadecimal, `017` octal.
_CONSTANT = re.compile(r"(?<![\w$])(0[xX][0-9a-fA-F]+|0[0-9]+)(?![\w])")


def _c_constants(text: str) -> str:
    def value(m: re.Match[str]) -> str:
        token = m.group(1)
        if token[1:2] in "xX":
            return str(int(token, 16))
        return str(int(token, 8))  # ValueError for 08, 09: a syntax error, as in dash

    return _CONSTANT.sub(value, text)


def _pow(base: int, exp: int) -> int:
    if not 0 <= exp <= 64:  # 64-bit shell arithmetic; no unbounded powers
        raise ValueError("exponent out of range")
    return base**exp


_CMPS = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def arithmetic(shell: Shell, expr: str) -> int:
    """`$((...))` over integers and variables; anything else is an error, never `eval`."""
    text = _c_constants(expr).replace("&&", " and ").replace("||", " or ").replace("/", "//")
    text = re.sub(r"!(?!=)", " not ", text)
    try:
        tree = ast.parse(text.strip() or "0", mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"arithmetic syntax error: {expr}") from exc

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return int(node.value)
        if isinstance(node, ast.Name):
            raw = shell.vars.get(node.id, "0") or "0"
            return int(raw) if raw.lstrip("-").isdigit() else 0
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return int(_BINOPS[type(node.op)](ev(node.left), ev(node.right)))
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return {ast.USub: -v, ast.UAdd: v, ast.Not: int(not v), ast.Invert: ~v}[type(node.op)]
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPS:
            return int(_CMPS[type(node.ops[0])](ev(node.left), ev(node.comparators[0])))
        if isinstance(node, ast.BoolOp):
            vals = [ev(v) for v in node.values]
            return int(all(vals) if isinstance(node.op, ast.And) else any(vals))
        raise ValueError(f"arithmetic syntax error: {expr}")

    return ev(tree)


def glob(shell: Shell, pattern: str) -> list[str]:
    """Matches a pattern against the file system, one path component at a time."""
    absolute = pattern.startswith("/")
    base = "/" if absolute else shell.cwd
    comps = [c for c in pattern.split("/") if c]
    found = [("", base)]
    for comp in comps:
        nxt = []
        for shown, real in found:
            if not _GLOB.search(comp):
                lit = re.sub(r"\[(.)\]", r"\1", comp)
                cand = norm(lit, real)
                if shell.fs.exists(cand):
                    nxt.append((f"{shown}/{lit}" if shown or absolute else lit, cand))
                continue
            if not shell.fs.is_dir(real):
                continue
            for name in shell.fs.listdir(real):
                if name.startswith(".") and not comp.startswith("."):
                    continue
                if fnmatch.fnmatchcase(name, comp):
                    nxt.append((f"{shown}/{name}" if shown or absolute else name, norm(name, real)))
        found = nxt
    return sorted(s if not absolute or s.startswith("/") else "/" + s for s, _ in found)
