"""The glyphs the product draws, and its ASCII fallback.

The Proxmox host's own console (`TERM=linux`) has a font without braille, eighth blocks or most
symbols, and a vt100 or a non-UTF-8 locale (C, POSIX) shows them as garbage. `wanted()` decides,
once at start, whether to draw with ASCII: `--ascii`, `PROXIMITY_ASCII=1`, such a TERM, or such a
locale. Then `use(True)` switches `current()` to the ASCII table, which the widgets and the CLI
take their glyphs from, and `ascii_char()` is the fallback for every other character (Textual's
own borders and scroll bars, text from outside): the dashboard applies it to every line it draws
(`widgets/ascii_display.py`), the CLI to everything it prints (`text.SafeStream`'s `then`).

Pure Python (no Textual, no Rich): the command layer and the widgets both use it.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: Terminals that cannot draw the Unicode glyphs (their names, or a prefix followed by `-`).
ASCII_TERMS = ("linux", "vt52", "vt100", "vt102", "vt220", "vt320", "dumb", "cons25", "ansi")
#: Environment values that turn `PROXIMITY_ASCII` on or off.
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Glyphs:
    """Every symbol the product draws itself, by meaning."""

    running: str = "●"
    stopped: str = "○"
    busy: str = "◐"
    ok: str = "✔"
    fail: str = "✖"
    undo: str = "↺"
    interrupted: str = "⚡"
    dot: str = "·"
    ellipsis: str = "…"
    dash: str = "–"
    arrow: str = "→"
    current: str = "▶"
    bar_full: str = "█"
    bar_empty: str = "░"
    #: Sparkline heights, lowest first.
    levels: str = "▁▂▃▄▅▆▇█"
    #: Spinner frames.
    spinner: str = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


UNICODE = Glyphs()
ASCII = Glyphs(
    running="*",
    stopped="o",
    busy="~",
    ok="+",
    fail="x",
    undo="<",
    interrupted="!",
    dot=".",
    ellipsis="...",
    dash="-",
    arrow="->",
    current=">",
    bar_full="#",
    bar_empty="-",
    levels="_.-~=+*#",
    spinner="|/-\\",
)

_current = UNICODE


def current() -> Glyphs:
    """The glyph table in use (Unicode unless `use(True)` was called)."""
    return _current


def use(ascii_only: bool) -> Glyphs:
    """Switch the table for this process (the command layer and the App decide it at start)."""
    global _current
    _current = ASCII if ascii_only else UNICODE
    return _current


def is_ascii() -> bool:
    return _current is ASCII


def wanted(flag: bool, environ: Mapping[str, str], *, terminal: bool = True) -> bool:
    """Draw with ASCII? `flag` is `--ascii` (or `[ui] ascii`); `terminal`: output goes to a
    terminal (TERM describes the terminal, not a pipe; the locale applies to both)."""
    if flag:
        return True
    forced = environ.get("PROXIMITY_ASCII", "").strip().lower()
    if forced in _TRUE:
        return True
    if forced and forced not in _FALSE:
        # An odd value is an explicit wish for the fallback rather than an error at start.
        return True
    if terminal and ascii_term(environ.get("TERM", "")):
        return True
    return not utf8_locale(environ)


def launch_environ() -> dict[str, str]:
    """The environment the user started us with. Python, started in the C locale, sets
    `LC_CTYPE=C.UTF-8` in its own environment (PEP 538 locale coercion), which would hide the
    C locale from `utf8_locale`; on Linux the process's first environment tells (it is read from
    /proc/self/environ, which the coercion does not rewrite)."""
    env = dict(os.environ)
    if env.get("LC_CTYPE") != "C.UTF-8":
        return env
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return env
    first = dict(
        item.decode(errors="replace").partition("=")[::2] for item in raw.split(b"\0") if item
    )
    if first.get("LC_CTYPE") != "C.UTF-8":
        env.pop("LC_CTYPE")
        if "LC_CTYPE" in first:
            env["LC_CTYPE"] = first["LC_CTYPE"]
    return env


def ascii_term(term: str) -> bool:
    """A terminal known to lack the Unicode glyphs. Unknown names keep Unicode: xterm-alikes
    are the rule today, and the locale check still catches a console without UTF-8."""
    name = term.strip().lower()
    return any(name == t or name.startswith(t + "-") for t in ASCII_TERMS)


def utf8_locale(environ: Mapping[str, str]) -> bool:
    """The character locale (LC_ALL, then LC_CTYPE, then LANG, as POSIX orders them) is UTF-8.
    None set means the C locale, which is ASCII."""
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(name, "").strip()
        if value:
            codeset = value.split(".", 1)[1] if "." in value else ""
            codeset = codeset.split("@", 1)[0].replace("-", "").lower()
            return codeset == "utf8"
    return False


# --- the fallback for every other character ----------------------------------------------------

#: Characters the product or Textual draws, by hand; the rest follow `_by_name`.
_MAP = {
    **dict.fromkeys("●•◉⬤∙", "*"),
    **dict.fromkeys("◆◇♦", "#"),  # the brand
    **dict.fromkeys("○◯◦⭘", "o"),
    **dict.fromkeys("◐◑◒◓", "~"),
    **dict.fromkeys("✔✓√", "+"),
    **dict.fromkeys("✖✗✘×", "x"),
    **dict.fromkeys("↺↻⟳", "<"),
    **dict.fromkeys("·⋅", "."),
    "…": ".",
    **dict.fromkeys("–—―−", "-"),
    **dict.fromkeys("‘’‚′", "'"),
    **dict.fromkeys("“”„″«»", '"'),
    **dict.fromkeys("←◀◂⇐", "<"),
    **dict.fromkeys("→▶▸►⇒⏵", ">"),
    **dict.fromkeys("↑▲▴⇑", "^"),
    **dict.fromkeys("↓▼▾⇓", "v"),
    **dict.fromkeys("↔⇄⇆", "="),
    **dict.fromkeys("▓■", "#"),
    # Textual's thick and tall borders' sides, toasts' edge (our bars use the ASCII table).
    **dict.fromkeys("█▉▊▋▌▐▍▎▏", "|"),
    **dict.fromkeys("▒", ":"),
    **dict.fromkeys("░", "."),
    # Textual's tall, wide and outer borders draw their top and bottom edges with these.
    **dict.fromkeys("▀▔▄▁", "-"),
    "▂": "_",
    "▃": ".",
    "▅": "=",
    "▆": "+",
    "▇": "*",
    "⚡": "!",
    **dict.fromkeys("🔎🔍", ">"),  # the command palette's prompt
    "⚠": "!",
    "\u00a0": " ",
}


def ascii_char(char: str) -> str:
    """One character as ASCII (a character that is already ASCII is itself)."""
    if char.isascii():
        return char
    return _fallback(char)


@lru_cache(maxsize=4096)
def _fallback(char: str) -> str:
    if char in _MAP:
        return _MAP[char]
    if 0x2800 <= ord(char) <= 0x28FF:  # braille (spinners, fine sparklines): by dot count
        dots = bin(ord(char) - 0x2800).count("1")
        return " " if dots == 0 else "." if dots <= 2 else ":" if dots <= 4 else "#"
    if unicodedata.combining(char):
        return ""
    by_name = _by_name(unicodedata.name(char, ""))
    if by_name:
        return by_name
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return decomposed[:1] or "?"


def _by_name(name: str) -> str:
    if name.startswith("BOX DRAWINGS"):
        across = "HORIZONTAL" in name or "LEFT" in name or "RIGHT" in name
        down = "VERTICAL" in name or "UP" in name or "DOWN" in name or "ARC" in name
        if "DASH" in name or (across and not down):
            return "|" if "VERTICAL" in name else "-"
        return "|" if down and not across else "+"
    if "QUADRANT" in name:  # outer borders' corners
        return "+"
    if "EIGHTH BLOCK" in name or "HALF BLOCK" in name:
        return "#"
    if "SPACE" in name:
        return " "
    return ""


def cells(char: str) -> int:
    """How many columns a terminal gives `char` (0, 1 or 2), without Rich."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def asciify(text: str, width: Callable[[str], int] | None = None) -> str:
    """`text` in ASCII, each character as wide as before (a wide one is drawn twice); `width`
    gives a character's columns (the dashboard passes Rich's, which lay its lines out)."""
    width_of = width or cells
    if text.isascii():
        return text
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
            continue
        columns = width_of(char)
        if columns:
            # A wide symbol we know is itself then a space; an unknown wide one is "??".
            mapped = ascii_char(char) or "?"
            out.append((mapped * columns if mapped == "?" else mapped.ljust(columns))[:columns])
    return "".join(out)
