"""POSIX shell syntax: tokens and a tree, as `sh -c SCRIPT` sees them.

Covers what deploy scripts use: quoting ('...', "...", backslash), parameters (`$X`, `${X:-d}`,
`${X:?msg}`, ...), `$(...)` and backticks, `$((...))`, comments, `;` `&&` `||` `|` `!` `&`,
`{ ...; }`, `( ... )`, `if/elif/else`, `while/until`, `for`, redirections (`>` `>>` `<` `2>&1`
`&>` `N>file`) and here-documents (`<<EOF`, `<<'EOF'`, `<<-EOF`). `case` and functions are not
modelled: they are a syntax error with a message that says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A word is a list of parts:
#   ("lit", text, quoted)                      literal text; quoted = no splitting/globbing
#   ("param", name, op, arg_parts|None, quoted) parameter expansion
#   ("cmd", script, quoted)                    command substitution
#   ("arith", expr, quoted)                    arithmetic expansion
Part = tuple
Word = list[Part]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IO_NUMBER = re.compile(r"\d+(?=[<>])")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_OPERATORS = (
    "&&",
    "||",
    ";;",
    "<<-",
    "<<",
    ">>",
    ">&",
    "<&",
    ">|",
    "<>",
    "&>",
    ";",
    "&",
    "|",
    "(",
    ")",
    ">",
    "<",
)
RESERVED = {
    "if",
    "then",
    "elif",
    "else",
    "fi",
    "for",
    "in",
    "do",
    "done",
    "while",
    "until",
    "{",
    "}",
    "!",
    "case",
    "esac",
}


class ShellSyntaxError(Exception):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class HereDoc:
    delimiter: str
    quoted: bool
    strip_tabs: bool
    body: Word = field(default_factory=list)


@dataclass
class Tok:
    kind: str  # WORD | OP | NL | REDIR | EOF
    value: object = None
    fd: int | None = None
    line: int = 1


def word_text(word: Word) -> str | None:
    """The plain text of a word made only of literals (reserved words, names), else None."""
    if all(p[0] == "lit" for p in word):
        return "".join(p[1] for p in word)
    return None


def is_plain(word: Word) -> bool:
    return len(word) == 1 and word[0][0] == "lit" and not word[0][2]


class Lexer:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.line = 1
        self._pending: list[HereDoc] = []

    def tokens(self) -> list[Tok]:
        out: list[Tok] = []
        while True:
            tok = self._next()
            out.append(tok)
            if tok.kind == "EOF":
                if self._pending:
                    wanted = self._pending[0].delimiter
                    raise ShellSyntaxError(
                        f"here-document delimited by end-of-file (wanted '{wanted}')", self.line
                    )
                return out

    # --- tokens --------------------------------------------------------------------------

    def _next(self) -> Tok:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t":
                self.i += 1
            elif c == "\\" and s.startswith("\\\n", self.i):
                self.i += 2
                self.line += 1
            elif c == "#":
                while self.i < len(s) and s[self.i] != "\n":
                    self.i += 1
            else:
                break
        if self.i >= len(s):
            return Tok("EOF", line=self.line)
        c = s[self.i]
        if c == "\n":
            tok = Tok("NL", line=self.line)
            self.i += 1
            self.line += 1
            self._read_heredocs()
            return tok
        m = _IO_NUMBER.match(s, self.i)
        fd = None
        if m:
            fd = int(m.group())
            self.i += len(m.group())
        for op in _OPERATORS:
            if s.startswith(op, self.i):
                self.i += len(op)
                if op in ("<<", "<<-", ">>", ">&", "<&", ">|", "<>", "&>", ">", "<"):
                    return self._redir(op, fd)
                return Tok("OP", op, line=self.line)
        return Tok("WORD", self._word(), line=self.line)

    def _redir(self, op: str, fd: int | None) -> Tok:
        line = self.line
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1
        if self.i >= len(self.s) or self.s[self.i] in "\n;&|()<>":
            raise ShellSyntaxError(
                "unexpected newline"
                if self.i >= len(self.s) or self.s[self.i] == "\n"
                else f'unexpected "{self.s[self.i]}"',
                line,
            )
        target = self._word()
        if op in ("<<", "<<-"):
            text = "".join(p[1] for p in target if p[0] == "lit")
            quoted = any(p[0] == "lit" and p[2] for p in target)
            doc = HereDoc(text, quoted, op == "<<-")
            self._pending.append(doc)
            return Tok("REDIR", (op, doc), fd=fd, line=line)
        return Tok("REDIR", (op, target), fd=fd, line=line)

    def _read_heredocs(self) -> None:
        for doc in self._pending:
            lines: list[str] = []
            while True:
                if self.i >= len(self.s):
                    raise ShellSyntaxError(
                        f"here-document delimited by end-of-file (wanted '{doc.delimiter}')",
                        self.line,
                    )
                end = self.s.find("\n", self.i)
                raw = self.s[self.i :] if end < 0 else self.s[self.i : end]
                self.i = len(self.s) if end < 0 else end + 1
                self.line += 1
                check = raw.lstrip("\t") if doc.strip_tabs else raw
                if check == doc.delimiter:
                    break
                lines.append(check + "\n")
            body = "".join(lines)
            doc.body = [("lit", body, True)] if doc.quoted else _Sub(body).parts(heredoc=True)
        self._pending = []

    def _word(self) -> Word:
        parts: Word = []
        s = self.s
        buf: list[str] = []

        def flush() -> None:
            if buf:
                parts.append(("lit", "".join(buf), False))
                buf.clear()

        while self.i < len(s):
            c = s[self.i]
            if c in " \t\n;&|()<>":
                break
            if c == "\\":
                flush()
                if self.i + 1 < len(s):
                    if s[self.i + 1] == "\n":
                        self.i += 2
                        self.line += 1
                        continue
                    parts.append(("lit", s[self.i + 1], True))
                self.i += 2
            elif c == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated quoted string", self.line)
                flush()
                text = s[self.i + 1 : end]
                self.line += text.count("\n")
                parts.append(("lit", text, True))
                self.i = end + 1
            elif c == '"':
                flush()
                sub = _Sub(s, self.i + 1, self.line)
                parts.extend(sub.parts(until='"') or [("lit", "", True)])
                self.i, self.line = sub.i, sub.line
            elif c in "$`":
                flush()
                sub = _Sub(s, self.i, self.line)
                parts.append(sub.dollar(quoted=False))
                self.i, self.line = sub.i, sub.line
            else:
                buf.append(c)
                self.i += 1
        flush()
        return parts


class _Sub:
    """Scans double-quoted text, here-document bodies and `$`-expansions."""

    def __init__(self, s: str, i: int = 0, line: int = 1) -> None:
        self.s, self.i, self.line = s, i, line

    def parts(self, until: str | None = None, heredoc: bool = False) -> Word:
        s, parts, buf = self.s, [], []
        escapable = "$`\\\n" if heredoc else '$`"\\\n'
        while True:
            if self.i >= len(s):
                if until:
                    raise ShellSyntaxError("unterminated quoted string", self.line)
                break
            c = s[self.i]
            if until and c == until:
                self.i += 1
                break
            if c == "\\" and self.i + 1 < len(s) and s[self.i + 1] in escapable:
                if s[self.i + 1] != "\n":
                    buf.append(s[self.i + 1])
                self.i += 2
            elif c in "$`":
                if buf:
                    parts.append(("lit", "".join(buf), True))
                    buf = []
                parts.append(self.dollar(quoted=True))
            else:
                if c == "\n":
                    self.line += 1
                buf.append(c)
                self.i += 1
        if buf:
            parts.append(("lit", "".join(buf), True))
        return parts

    def dollar(self, quoted: bool) -> Part:
        s = self.s
        if s[self.i] == "`":
            end = self.i + 1
            text: list[str] = []
            while end < len(s) and s[end] != "`":
                if s[end] == "\\" and end + 1 < len(s) and s[end + 1] in "$`\\":
                    end += 1
                text.append(s[end])
                end += 1
            if end >= len(s):
                raise ShellSyntaxError("unterminated quoted string", self.line)
            self.i = end + 1
            return ("cmd", "".join(text), quoted)
        nxt = s[self.i + 1] if self.i + 1 < len(s) else ""
        if s.startswith("$((", self.i):
            outer = _matching(s, self.i + 1, self.line)
            inner = _matching(s, self.i + 2, self.line)
            if inner == outer - 1:
                expr = s[self.i + 3 : inner]
                self.i = outer + 1
                return ("arith", expr, quoted)
        if nxt == "(":
            end = _matching(s, self.i + 1, self.line)
            body = s[self.i + 2 : end]
            self.line += body.count("\n")
            self.i = end + 1
            return ("cmd", body, quoted)
        if nxt == "{":
            return self._braced(quoted)
        if nxt and nxt in "?$#@*!-0123456789":
            self.i += 2
            return ("param", nxt, None, None, quoted)
        m = _NAME.match(s, self.i + 1)
        if m:
            self.i = m.end()
            return ("param", m.group(), None, None, quoted)
        self.i += 1
        return ("lit", "$", True)

    def _braced(self, quoted: bool) -> Part:
        s = self.s
        start = self.i + 2
        if s.startswith("#", start) and _NAME.match(s, start + 1):
            m = _NAME.match(s, start + 1)
            if s.startswith("}", m.end()):
                self.i = m.end() + 1
                return ("param", m.group(), "#len", None, quoted)
        m = _NAME.match(s, start) or re.compile(r"[?$#@*!0-9]").match(s, start)
        if not m:
            raise ShellSyntaxError("bad substitution", self.line)
        name = m.group()
        j = m.end()
        op_m = re.compile(r":[-=?+]|[-=?+]|%%|%|##|#").match(s, j)
        if s.startswith("}", j):
            self.i = j + 1
            return ("param", name, None, None, quoted)
        if not op_m:
            raise ShellSyntaxError("bad substitution", self.line)
        sub = _Sub(s, op_m.end(), self.line)
        arg = sub.parts(until="}", heredoc=False)
        self.i, self.line = sub.i, sub.line
        return ("param", name, op_m.group(), arg, quoted)


def _matching(s: str, open_at: int, line: int) -> int:
    """Index of the `)` closing the `(` at `open_at`, skipping quotes."""
    depth, i = 0, open_at
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            i = s.find("'", i + 1)
            if i < 0:
                break
        elif c == '"':
            j = i + 1
            while j < len(s) and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            i = j
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ShellSyntaxError("unterminated quoted string", line)
