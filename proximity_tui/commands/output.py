"""The command line's one output path: tables, JSON lines, colour and sizes, for every command.

- Colour only when stdout is a terminal, `NO_COLOR` is unset (or empty) and `TERM` is not
  `dumb`; piped output never holds an escape byte.
- Tables: the header names are the JSON keys (`vmid`, `hostname`, `started_at`, ...). Piped,
  every value is printed whole; on a terminal, wide tables are fitted to its width by the
  dashboard's rule (`widgets/column_fit.py`: URLs whole or `…`, errors cut at whole words).
- `--json` is JSON lines: one object per line (a listing: one per item; an operation: one per
  event, then `{"result": ...}`; a report: one object). Times ISO 8601, sizes exact bytes.
- Sizes in text are human (`26.5M`, binary units, as `ls -h`).
- A reader that goes away (`| head`) ends the output quietly, never with a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from proximity_tui.text import printable

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}

#: The colour of a status word (apps, operations, doctor checks, adopt outcomes).
STATUS_STYLES = {
    "running": "green",
    "succeeded": "green",
    "ok": "green",
    "adopted": "green",
    "available": "green",
    "stopped": "yellow",
    "warn": "yellow",
    "cancelled": "yellow",
    "rolled_back": "yellow",
    "skipped": "yellow",
    "conflict": "yellow",
    "error": "red",
    "failed": "red",
    "fail": "red",
    "missing": "red",
    "refused": "red",
    "deploying": "cyan",
    "updating": "cyan",
    "removing": "cyan",
    "pending": "cyan",
}

#: Columns that may be narrower than their content on a terminal, as (tier, minimum, elide):
#: lower tiers give room first; see `widgets/column_fit.Flex`. Every other column keeps its width.
FLEXIBLE = {
    "description": (0, 10, "words"),
    "location": (0, 12, "end"),
    "env_unknown": (0, 8, "words"),
    "source": (1, 7, "end"),
    "category": (1, 8, "end"),
    "version": (1, 7, "end"),
    "outcome": (1, 12, "words"),
    "error": (1, 12, "tokens"),
    "name": (2, 8, "end"),
    # what a user types next (an id, a hostname, a volid): cut last
    "id": (3, 8, "end"),
    "app_id": (3, 8, "end"),
    "hostname": (3, 8, "end"),
    "volid": (3, 12, "end"),
    "url": (4, 8, "whole"),
}

GAP = "  "


def colour_enabled(stream: TextIO | None = None) -> bool:
    """Colour for `stream` (stdout): a terminal, NO_COLOR unset or empty, TERM not dumb."""
    stream = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def paint(text: str, style: str | None, enabled: bool) -> str:
    """`text` (already printable) in `style` when colour is on."""
    if not enabled or not style or not text:
        return text
    codes = ";".join(_CODES[s] for s in style.split() if s in _CODES)
    return f"\x1b[{codes}m{text}\x1b[0m" if codes else text


def status_style(word: Any) -> str | None:
    first = str(word or "").split(":", 1)[0].split(" ", 1)[0].strip().lower()
    return STATUS_STYLES.get(first)


def write_line(line: str, *, styled: bool = False) -> None:
    """One line on stdout. A `styled` line holds our own escape codes around cells that were
    made printable already: it goes to the stream under SafeStream (whose sanitizer would show
    ESC as text)."""
    stream = sys.stdout
    if styled:  # and in the ASCII mode, as ASCII all the same (SafeStream's `then`)
        then = getattr(stream, "then", None)
        stream = getattr(stream, "wrapped", stream)
        line = then(line) if then else line
    try:
        stream.write(line + "\n")
        stream.flush()
    except BrokenPipeError:
        reader_gone()


def reader_gone() -> None:
    """The reader of stdout went away (`| head`): send the rest to /dev/null, so neither the
    next line nor the interpreter's final flush raises again (the Python docs' recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


# --- JSON lines ---------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def print_json(obj: Any) -> None:
    """One JSON object on one line (times ISO 8601)."""
    write_line(json.dumps(obj, default=_jsonable, sort_keys=False))


def print_json_lines(items: Iterable[Any]) -> None:
    """A listing as JSON lines: one object per item, nothing at all when there is none."""
    for item in items:
        print_json(item)


def timestamp(ts: datetime | None) -> str:
    """A time in text, the same everywhere: UTC to the second (`2026-12-07 09:04:21Z`)."""
    if ts is None:
        return "-"
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%d %H:%M:%SZ")


# --- sizes --------------------------------------------------------------------------------------


def human_size(size: int | float | None) -> str:
    """Bytes as `ls -h` shows them: `512B`, `1.0K`, `26.5M`, `3.2G` (binary units)."""
    if size is None:
        return "-"
    value = float(size)
    for unit in "BKMGTP":
        if abs(value) < 1024 or unit == "P":
            return f"{int(value)}B" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


# --- tables -------------------------------------------------------------------------------------


def print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    empty: str | None = None,
    width: int | None = None,
) -> None:
    """Aligned columns under a header of `columns` (the JSON keys). Cells are made printable
    (stored text may hold escapes). Piped: every value whole; on a terminal: fitted to `width`
    (the terminal's) and coloured (header bold, status words by their meaning)."""
    if not rows:
        if empty:
            write_line(empty)
        return
    cells = [[printable(c) for c in row] for row in rows]
    tty = sys.stdout.isatty()
    colour = colour_enabled()
    if tty:
        room = width if width is not None else shutil.get_terminal_size((100, 24)).columns
        cells, widths = fit_table(columns, cells, room)
    else:
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(columns)]
    statuses = {i for i, c in enumerate(columns) if c in ("status", "outcome")}
    header = [
        paint(h, "bold", colour) + " " * (w - len(h)) for h, w in zip(columns, widths, strict=True)
    ]
    write_line(GAP.join(header).rstrip(), styled=colour)
    for row in cells:
        out = []
        for i, (cell, w) in enumerate(zip(row, widths, strict=True)):
            pad = " " * max(0, w - _cells(cell, tty))
            out.append(paint(cell, status_style(cell) if i in statuses else None, colour) + pad)
        write_line(GAP.join(out).rstrip(), styled=colour)


def fit_table(
    columns: Sequence[str], cells: list[list[str]], room: int
) -> tuple[list[list[str]], list[int]]:
    """Cells and widths that fit `room` terminal cells, by the dashboard's rule (column_fit):
    the flexible columns (FLEXIBLE) give room, lowest tier and widest first; a cut cell is
    elided visibly, a URL whole or `…`, an error at whole words."""
    from proximity_tui.widgets.column_fit import Flex, elide, fit_widths

    natural = {
        c: max([len(c)] + [_cells(r[i], True) for r in cells]) for i, c in enumerate(columns)
    }
    flex = {
        c: Flex(tier, max(minimum, len(c)), mode)  # never narrower than its header
        for c in columns
        if c in FLEXIBLE
        for tier, minimum, mode in [FLEXIBLE[c]]
    }
    fitted = fit_widths(natural, flex, room - len(GAP) * (len(columns) - 1))
    widths = [fitted[c] for c in columns]
    out = [
        [
            elide(cell, w, flex[c].elide) if c in flex else cell
            for cell, c, w in zip(row, columns, widths, strict=True)
        ]
        for row in cells
    ]
    return out, widths


def _cells(text: str, tty: bool) -> int:
    if not tty:
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)
