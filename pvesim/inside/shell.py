"""A small POSIX shell interpreter over a simulated file system and a table of utilities.

It runs the tree from `shell_parse` with the semantics deploy scripts rely on: exit statuses,
`&&`/`||`, `set -e/-u/-x/-o pipefail`, field splitting, globbing, redirections, here-documents,
subshells and command substitution. Utilities are async functions `(ctx, argv) -> status`; the
shell's own state (cd, export, set, exit, read, eval, ...) is handled here. Pipelines run their
stages one after the other, each stage's output feeding the next (enough for `a | grep x`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import shell_expand
from .fs import norm
from .shell_parse import AndOr, For, Group, If, Loop, Pipeline, Sequence, Simple, parse
from .shell_syntax import HereDoc, ShellSyntaxError

Writer = Callable[[bytes], None]


class Stdin:
    """A command's standard input: bytes, or an async source read once on first use (SSH)."""

    def __init__(self, source: bytes | Callable[[], Awaitable[bytes]] = b"") -> None:
        self._source = source
        self._buf: bytes | None = source if isinstance(source, bytes | bytearray) else None

    async def _fill(self) -> bytes:
        if self._buf is None:
            self._buf = bytes(await self._source())  # type: ignore[operator]
        return self._buf

    async def read(self) -> bytes:
        data = await self._fill()
        self._buf = b""
        return data

    async def readline(self) -> bytes:
        data = await self._fill()
        cut = data.find(b"\n")
        line, self._buf = (data, b"") if cut < 0 else (data[: cut + 1], data[cut + 1 :])
        return line


@dataclass
class Io:
    stdin: Stdin
    out: Writer
    err: Writer


class ShellExit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class LoopJump(Exception):
    """`break N` / `continue N` unwinding to the Nth enclosing loop (POSIX 2.14, `break`)."""

    def __init__(self, kind: str, levels: int) -> None:
        super().__init__(kind)
        self.kind = kind
        self.levels = levels


@dataclass(frozen=True)
class Flavor:
    """Whose wording the messages use: busybox `ash` (Alpine), `dash` (Debian sh) or `bash`."""

    name: str

    def prefix(self, prog: str, line: int) -> str:
        if self.name == "dash":
            return f"{prog}: {line}: "
        if self.name == "bash":
            return f"{prog}: line {line}: "
        return f"{prog}: "

    def not_found(self, prog: str, line: int, cmd: str) -> str:
        tail = "command not found" if self.name == "bash" else "not found"
        return f"{self.prefix(prog, line)}{cmd}: {tail}\n"

    def syntax(self, prog: str, err: ShellSyntaxError) -> str:
        if self.name == "dash":
            return f"{prog}: {err.line}: Syntax error: {err.message}\n"
        if self.name == "bash":
            return f"{prog}: -c: line {err.line}: syntax error: {err.message}\n"
        return f"{prog}: syntax error: {err.message}\n"

    def cant_create(self, prog: str, line: int, path: str, exc: OSError) -> str:
        if self.name == "ash":
            why = (
                "nonexistent directory"
                if isinstance(exc, FileNotFoundError)
                else exc.strerror.lower()
            )
            return f"{prog}: can't create {path}: {why}\n"
        if self.name == "dash":
            why = "Directory nonexistent" if isinstance(exc, FileNotFoundError) else exc.strerror
            return f"{prog}: {line}: cannot create {path}: {why}\n"
        return f"{self.prefix(prog, line)}{path}: {exc.strerror}\n"

    def cant_open(self, prog: str, line: int, path: str) -> str:
        if self.name == "ash":
            return f"{prog}: can't open {path}: no such file\n"
        if self.name == "dash":
            return f"{prog}: {line}: cannot open {path}: No such file\n"
        return f"{self.prefix(prog, line)}{path}: No such file or directory\n"

    @property
    def redirect_status(self) -> int:
        return 2 if self.name == "dash" else 1


CommandFn = Callable[["Ctx", list[str]], Awaitable[int]]


@dataclass
class Ctx:
    """What a utility sees: its streams, environment, the file system and the simulated system."""

    shell: Shell
    io: Io
    env: dict[str, str]
    line: int = 1

    @property
    def fs(self) -> Any:
        return self.shell.fs

    @property
    def cwd(self) -> str:
        return self.shell.cwd

    @property
    def system(self) -> Any:
        return self.shell.system

    def path(self, p: str) -> str:
        return norm(p, self.shell.cwd)

    def out(self, data: str | bytes) -> None:
        self.io.out(data.encode() if isinstance(data, str) else data)

    def err(self, data: str | bytes) -> None:
        self.io.err(data.encode() if isinstance(data, str) else data)

    async def read_stdin(self) -> bytes:
        return await self.io.stdin.read()

    async def sleep(self, seconds: float) -> None:
        await self.shell.sleep(seconds)


@dataclass
class Options:
    errexit: bool = False
    nounset: bool = False
    xtrace: bool = False
    pipefail: bool = False


@dataclass
class Shell:
    fs: Any
    commands: Mapping[str, CommandFn]
    flavor: Flavor = field(default_factory=lambda: Flavor("ash"))
    system: Any = None
    vars: dict[str, str] = field(default_factory=dict)
    exported: set[str] = field(default_factory=set)
    cwd: str = "/"
    prog: str = "sh"
    positional: list[str] = field(default_factory=list)
    #: Whether a utility is installed (`docker` only after `apk add docker`, ...).
    available: Callable[[str], bool] = lambda name: True
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    status: int = 0
    options: Options = field(default_factory=Options)
    #: Loops around the command running now: how far `break N`/`continue N` may unwind.
    loop_depth: int = 0

    # --- entry points ------------------------------------------------------------------------

    async def run_script(self, text: str, io: Io) -> int:
        try:
            tree = parse(text)
        except ShellSyntaxError as exc:
            io.err(self.flavor.syntax(self.prog, exc).encode())
            return 2
        try:
            return await self.run_sequence(tree, io)
        except ShellExit as done:
            return done.status

    async def run_argv(self, argv: list[str], io: Io, *, line: int = 1) -> int:
        """Runs one command without a shell (`pct exec VMID -- cmd args`)."""
        try:
            return await self._invoke(argv, {}, io, line)
        except ShellExit as done:
            return done.status

    def subshell(self) -> Shell:
        return Shell(
            fs=self.fs,
            commands=self.commands,
            flavor=self.flavor,
            system=self.system,
            vars=dict(self.vars),
            exported=set(self.exported),
            cwd=self.cwd,
            prog=self.prog,
            positional=list(self.positional),
            available=self.available,
            sleep=self.sleep,
            status=self.status,
            options=Options(**vars(self.options)),
            loop_depth=self.loop_depth,  # a `break` in `( )` or `$( )` ends that subshell only
        )

    def environ(self) -> dict[str, str]:
        return {k: self.vars[k] for k in self.exported if k in self.vars}

    # --- tree walking ------------------------------------------------------------------------

    async def run_sequence(self, seq: Sequence, io: Io, *, cond: bool = False) -> int:
        for item in seq.items:
            self.status = await self.run_and_or(item, io, cond=cond)
        return self.status

    async def run_and_or(self, node: AndOr, io: Io, *, cond: bool = False) -> int:
        chain = [("", node.first), *node.rest]
        status = 0
        for idx, (op, pipe) in enumerate(chain):
            if (op == "&&" and status != 0) or (op == "||" and status == 0):
                continue
            last = idx == len(chain) - 1
            status = await self.run_pipeline(pipe, io, cond=cond or not last)
            self.status = status
        return status

    async def run_pipeline(self, pipe: Pipeline, io: Io, *, cond: bool) -> int:
        statuses = []
        stdin = io.stdin
        for idx, cmd in enumerate(pipe.commands):
            if idx < len(pipe.commands) - 1:
                buf = bytearray()
                stage = Io(stdin, buf.extend, io.err)
                statuses.append(await self._stage(pipe, cmd, stage, cond=True))
                stdin = Stdin(bytes(buf))
            else:
                stage = Io(stdin, io.out, io.err)
                statuses.append(await self._stage(pipe, cmd, stage, cond=cond or pipe.negate))
        status = statuses[-1]
        if self.options.pipefail:
            status = next((s for s in reversed(statuses) if s), 0)
        if pipe.negate:
            return 0 if status else 1
        if status and self.options.errexit and not cond:
            raise ShellExit(status)
        return status

    async def _stage(self, pipe: Pipeline, cmd: object, io: Io, *, cond: bool) -> int:
        """A command of a pipeline; with two or more, each runs in a subshell (POSIX 2.9.2): an
        `exit`, `cd` or assignment there ends or changes only that stage."""
        if len(pipe.commands) == 1:
            return await self.run_command(cmd, io, cond=cond)
        try:
            return await self.subshell().run_command(cmd, io, cond=cond)
        except ShellExit as done:
            return done.status
        except LoopJump:
            return 0

    async def run_command(self, cmd: object, io: Io, *, cond: bool) -> int:
        if isinstance(cmd, Simple):
            status = await self.run_simple(cmd, io)
            if status and self.options.errexit and not cond:
                raise ShellExit(status)
            return status
        redirected = await self._redirect(cmd.redirs, io, 1)  # type: ignore[attr-defined]
        if redirected is None:
            return self.flavor.redirect_status
        io = redirected
        if isinstance(cmd, Group):
            if cmd.subshell:
                sub = self.subshell()
                try:
                    return await sub.run_sequence(cmd.body, io, cond=cond)
                except ShellExit as done:
                    return done.status
                except LoopJump:
                    return 0
            return await self.run_sequence(cmd.body, io, cond=cond)
        if isinstance(cmd, If):
            for test, body in cmd.branches:
                if await self.run_sequence(test, io, cond=True) == 0:
                    return await self.run_sequence(body, io, cond=cond)
            return await self.run_sequence(cmd.otherwise, io, cond=cond) if cmd.otherwise else 0
        if isinstance(cmd, Loop):
            status = 0
            while (await self.run_sequence(cmd.cond, io, cond=True) == 0) != cmd.until:
                status, jump = await self._loop_body(cmd.body, io, cond)
                if jump == "break":
                    break
                await asyncio.sleep(0)
            return status
        if isinstance(cmd, For):
            items = list(self.positional) if cmd.words is None else []
            for w in cmd.words or []:
                items.extend(await shell_expand.expand_word(self, w, io))
            status = 0
            for item in items:
                self.vars[cmd.name] = item
                status, jump = await self._loop_body(cmd.body, io, cond)
                if jump == "break":
                    break
            return status
        raise TypeError(f"unknown node {cmd!r}")

    async def _loop_body(self, body: Sequence, io: Io, cond: bool) -> tuple[int, str | None]:
        """One pass of a loop's body: its status, and `break`/`continue` when one ended it."""
        self.loop_depth += 1
        try:
            return await self.run_sequence(body, io, cond=cond), None
        except LoopJump as jump:
            if jump.levels > 1:  # for an outer loop
                jump.levels -= 1
                raise
            return 0, jump.kind
        finally:
            self.loop_depth -= 1

    async def run_simple(self, node: Simple, io: Io) -> int:
        self.status_from_subst = None
        argv: list[str] = []
        for w in node.words:
            argv.extend(await shell_expand.expand_word(self, w, io))
        assigns = [
            (name, await shell_expand.expand_string(self, value, io))
            for name, value in node.assigns
        ]
        redirected = await self._redirect(node.redirs, io, node.line)
        if redirected is None:
            return self.flavor.redirect_status
        if not argv:
            for name, value in assigns:
                self.vars[name] = value
            return self.status_from_subst or 0
        if self.options.xtrace:
            redirected.err(("+ " + " ".join(argv) + "\n").encode())
        return await self._invoke(argv, dict(assigns), redirected, node.line)

    async def _invoke(self, argv: list[str], assigns: dict[str, str], io: Io, line: int) -> int:
        from . import builtins  # the shell's own commands need the Shell itself

        name = argv[0]
        special = builtins.SPECIAL.get(name)
        if special is not None:
            return await special(self, argv, io, line)
        base = name.rsplit("/", 1)[-1] if "/" in name else name
        fn = self.commands.get(base)
        if fn is None or not self.available(base) or ("/" in name and not self.fs.exists(name)):
            if "/" in name:
                io.err(f"{self.flavor.prefix(self.prog, line)}{name}: not found\n".encode())
            else:
                io.err(self.flavor.not_found(self.prog, line, name).encode())
            return 127
        env = self.environ()
        env.update(assigns)
        ctx = Ctx(self, io, env, line)
        try:
            return await fn(ctx, [base, *argv[1:]])
        except OSError as exc:
            # A file error a utility did not word itself: the generic form the tools share.
            where = f"{exc.filename}: " if exc.filename else ""
            io.err(f"{base}: {where}{exc.strerror or exc}\n".encode())
            return 1
        except ValueError as exc:  # a malformed number or option value
            io.err(f"{base}: {exc}\n".encode())
            return 1

    async def _redirect(self, redirs: list, io: Io, line: int) -> Io | None:
        out, err, stdin = io.out, io.err, io.stdin
        for r in redirs:
            if isinstance(r.target, HereDoc):
                body = await shell_expand.expand_string(self, r.target.body, io)
                stdin = Stdin(body.encode())
                continue
            target = await shell_expand.expand_string(self, r.target, io)
            fd = r.fd
            if r.op in (">&", "<&") and (target.isdigit() or target == "-"):
                src = {0: None, 1: out, 2: err}.get(int(target)) if target.isdigit() else None
                if fd == 2 and src is not None:
                    err = src
                elif fd in (None, 1) and r.op == ">&" and src is not None:
                    out = src
                continue
            path = norm(target, self.cwd)
            if r.op in ("<", "<>"):
                if not self.fs.is_file(path) and path != "/dev/null":
                    io.err(self.flavor.cant_open(self.prog, line, target).encode())
                    return None
                stdin = Stdin(self.fs.read(path))
                continue
            try:
                self.fs.write(path, b"", append=r.op == ">>")
            except OSError as exc:
                io.err(self.flavor.cant_create(self.prog, line, target, exc).encode())
                return None
            writer = _file_writer(self.fs, path)
            if r.op in ("&>", ">&"):
                out = err = writer
            elif fd == 2:
                err = writer
            elif fd in (None, 1):
                out = writer
        return Io(stdin, out, err)

    def __post_init__(self) -> None:
        self.status_from_subst: int | None = None


def _file_writer(fs: Any, path: str) -> Writer:
    def write(data: bytes) -> None:
        fs.write(path, data, append=True)

    return write
