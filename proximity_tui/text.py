"""Text from outside made safe for a terminal: the one sanitizer every output point uses.

Container logs, catalog text, file names, Proxmox and command error text and stored names can hold
escape sequences (`ESC ] 52 ;` writes the clipboard, `ESC ] 0 ;` retitles the window) and bidi
overrides (U+202E shows text reversed). `printable()` (one line) and `printable_lines()` (keeps
newlines and tabs) turn every such character into its visible Python escape (`\\x1b`, `\\u202e`),
so nothing is lost and nothing acts. `unsafe_char()` finds the first one, to refuse a value at load.
`SafeStream` wraps the CLI's stdout and stderr, so every line the command line writes goes through
here; the dashboard calls `printable*` where outside text meets a widget.

This module is at the bottom layer: anything may import it; it imports nothing of ours.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TextIO

#: C0 controls but tab and newline, DEL, C1 controls, soft hyphen, Arabic letter mark, Mongolian
#: vowel separator, zero-width space/non-joiner, LRM/RLM, line and paragraph separators, the bidi
#: embeddings/overrides (U+202A-E) and isolates (U+2066-9), invisible operators, deprecated format
#: characters, BOM, interlinear annotations, lone surrogates (undecodable bytes) and the tag block.
#: The zero-width joiner (U+200D) stays: emoji sequences need it and it moves nothing.
_UNSAFE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f"
)
_IN_BLOCK = re.compile(f"[{_UNSAFE}]")
_IN_LINE = re.compile(f"[\t\n{_UNSAFE}]")


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


# Every character of _UNSAFE (and tab, newline, CR) is one `str.isprintable()` refuses
# (categories Cc, Cf, Cs, Zl, Zp, Cn: `tests/unit/test_text.py`), so a printable string has
# nothing to escape. Most strings are (Rich calls `printable_lines` for every `Text` made: see
# `widgets/safe_text.py`): they are returned as they are, without the regular expression.


def printable(value: Any) -> str:
    """`value` as one line of inert text: every control character shown as its escape."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return _IN_LINE.sub(_escape, text)


def printable_lines(value: Any) -> str:
    """Like `printable`, keeping line breaks and tabs (logs, multi-line messages).
    A CRLF line end is a line end; a lone CR (which would overwrite the line) is escaped."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return _IN_BLOCK.sub(_escape, text)


def unsafe_char(text: str, *, newlines: bool = False) -> str | None:
    """The first character `printable` would escape (newlines and tabs allowed if asked)."""
    found = (_IN_BLOCK if newlines else _IN_LINE).search(text)
    return found.group() if found else None


def is_printable(text: str) -> bool:
    return _IN_LINE.search(text) is None


class SafeStream:
    """A text stream that writes through `printable_lines` (the CLI's stdout and stderr), then
    through `then` when given (`glyphs.asciify` in the ASCII mode)."""

    def __init__(self, stream: TextIO, then: Callable[[str], str] | None = None) -> None:
        self._stream = stream
        self._then = then

    @property
    def wrapped(self) -> TextIO:
        return self._stream

    @property
    def then(self) -> Callable[[str], str] | None:
        return self._then

    def write(self, text: str) -> int:
        safe = printable_lines(text)
        self._stream.write(self._then(safe) if self._then else safe)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, buffer...
        return getattr(self._stream, name)
