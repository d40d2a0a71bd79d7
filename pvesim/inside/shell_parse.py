"""The shell's grammar: tokens from `shell_syntax.Lexer` into a small tree."""

from __future__ import annotations

from dataclasses import dataclass, field

from .shell_syntax import _ASSIGN, RESERVED, Lexer, ShellSyntaxError, Tok, Word, is_plain, word_text


@dataclass
class Redir:
    fd: int | None
    op: str  # > >> < >& <& &> >| <> << <<-
    target: object  # Word, or HereDoc for << / <<-


@dataclass
class Simple:
    assigns: list[tuple[str, Word]]
    words: list[Word]
    redirs: list[Redir]
    line: int = 1


@dataclass
class Pipeline:
    commands: list[object]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


@dataclass
class Sequence:
    items: list[AndOr] = field(default_factory=list)


@dataclass
class Group:
    body: Sequence
    subshell: bool
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class If:
    branches: list[tuple[Sequence, Sequence]]
    otherwise: Sequence | None
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Loop:
    cond: Sequence
    body: Sequence
    until: bool
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class For:
    name: str
    words: list[Word] | None  # None: "$@"
    body: Sequence
    redirs: list[Redir] = field(default_factory=list)


def parse(text: str) -> Sequence:
    return _Parser(Lexer(text).tokens()).program()


class _Parser:
    def __init__(self, toks: list[Tok]) -> None:
        self.toks = toks
        self.i = 0

    # --- helpers ---------------------------------------------------------------------------

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def _reserved(self) -> str | None:
        t = self.tok
        if t.kind == "WORD" and is_plain(t.value) and word_text(t.value) in RESERVED:
            return word_text(t.value)
        return None

    def _unexpected(self) -> ShellSyntaxError:
        t = self.tok
        if t.kind == "EOF":
            return ShellSyntaxError("unexpected end of file", t.line)
        if t.kind == "NL":
            return ShellSyntaxError("unexpected newline", t.line)
        shown = word_text(t.value) if t.kind == "WORD" else t.value
        if t.kind == "REDIR":
            shown = t.value[0]
        return ShellSyntaxError(f'unexpected "{shown}"', t.line)

    def _skip_newlines(self) -> None:
        while self.tok.kind == "NL":
            self.i += 1

    def _expect_reserved(self, word: str) -> None:
        if self._reserved() != word:
            raise self._unexpected()
        self.i += 1

    # --- grammar ---------------------------------------------------------------------------

    def program(self) -> Sequence:
        seq = self.sequence(stop=set())
        if self.tok.kind != "EOF":
            raise self._unexpected()
        return seq

    def sequence(self, stop: set[str]) -> Sequence:
        seq = Sequence()
        while True:
            self._skip_newlines()
            if self.tok.kind == "EOF" or self._reserved() in stop:
                return seq
            if self.tok.kind == "OP" and self.tok.value == ")" and ")" in stop:
                return seq
            seq.items.append(self.and_or())
            t = self.tok
            if t.kind == "OP" and t.value in (";", "&") or t.kind == "NL":
                self.i += 1
            elif (
                t.kind == "EOF"
                or self._reserved() in stop
                or (t.kind == "OP" and t.value == ")" and ")" in stop)
            ):
                return seq
            else:
                raise self._unexpected()

    def and_or(self) -> AndOr:
        node = AndOr(self.pipeline())
        while self.tok.kind == "OP" and self.tok.value in ("&&", "||"):
            op = self.tok.value
            self.i += 1
            self._skip_newlines()
            node.rest.append((op, self.pipeline()))
        return node

    def pipeline(self) -> Pipeline:
        negate = False
        if self._reserved() == "!":
            negate = True
            self.i += 1
        cmds = [self.command()]
        while self.tok.kind == "OP" and self.tok.value == "|":
            self.i += 1
            self._skip_newlines()
            cmds.append(self.command())
        return Pipeline(cmds, negate)

    def command(self) -> object:
        word = self._reserved()
        if word == "if":
            node: object = self._if()
        elif word in ("while", "until"):
            self.i += 1
            cond = self.sequence({"do"})
            self._expect_reserved("do")
            body = self.sequence({"done"})
            self._expect_reserved("done")
            node = Loop(cond, body, until=word == "until")
        elif word == "for":
            node = self._for()
        elif word == "{":
            self.i += 1
            body = self.sequence({"}"})
            self._expect_reserved("}")
            node = Group(body, subshell=False)
        elif word == "case":
            raise ShellSyntaxError("'case' is not modelled by the simulator", self.tok.line)
        elif word is not None and word != "!":
            raise self._unexpected()
        elif self.tok.kind == "OP" and self.tok.value == "(":
            self.i += 1
            body = self.sequence({")"})
            if not (self.tok.kind == "OP" and self.tok.value == ")"):
                raise self._unexpected()
            self.i += 1
            node = Group(body, subshell=True)
        else:
            return self.simple()
        while self.tok.kind == "REDIR":
            node.redirs.append(self._redir())  # type: ignore[attr-defined]
        return node

    def _if(self) -> If:
        self.i += 1
        branches = []
        cond = self.sequence({"then"})
        self._expect_reserved("then")
        body = self.sequence({"elif", "else", "fi"})
        branches.append((cond, body))
        otherwise = None
        while True:
            word = self._reserved()
            self.i += 1
            if word == "elif":
                cond = self.sequence({"then"})
                self._expect_reserved("then")
                branches.append((cond, self.sequence({"elif", "else", "fi"})))
            elif word == "else":
                otherwise = self.sequence({"fi"})
                self._expect_reserved("fi")
                return If(branches, otherwise)
            elif word == "fi":
                return If(branches, otherwise)
            else:
                self.i -= 1
                raise self._unexpected()

    def _for(self) -> For:
        self.i += 1
        t = self.tok
        name = word_text(t.value) if t.kind == "WORD" else None
        if not name or not name.isidentifier():
            raise self._unexpected()
        self.i += 1
        self._skip_newlines()
        words: list[Word] | None = None
        if self._reserved() == "in":
            self.i += 1
            words = []
            while self.tok.kind == "WORD":
                words.append(self.tok.value)
                self.i += 1
            if self.tok.kind == "OP" and self.tok.value == ";":
                self.i += 1
        elif self.tok.kind == "OP" and self.tok.value == ";":
            self.i += 1
        self._skip_newlines()
        self._expect_reserved("do")
        body = self.sequence({"done"})
        self._expect_reserved("done")
        return For(name, words, body)

    def _redir(self) -> Redir:
        t = self.tok
        self.i += 1
        op, target = t.value
        return Redir(t.fd, op, target)

    def simple(self) -> Simple:
        node = Simple([], [], [], line=self.tok.line)
        while True:
            t = self.tok
            if t.kind == "REDIR":
                node.redirs.append(self._redir())
            elif t.kind == "WORD":
                if not node.words and t.value and t.value[0][0] == "lit" and not t.value[0][2]:
                    m = _ASSIGN.match(t.value[0][1])
                    if m:
                        rest = t.value[0][1][m.end() :]
                        value = ([("lit", rest, False)] if rest else []) + list(t.value[1:])
                        node.assigns.append((m.group(1), value))
                        self.i += 1
                        continue
                node.words.append(t.value)
                self.i += 1
            else:
                break
        if not node.words and not node.assigns and not node.redirs:
            raise self._unexpected()
        if len(node.words) == 1 and self.tok.kind == "OP" and self.tok.value == "(":
            raise ShellSyntaxError("functions are not modelled by the simulator", t.line)
        return node
