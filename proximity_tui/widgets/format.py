"""Plain formatting helpers shared by screens and widgets (no widgets here)."""

from __future__ import annotations

from datetime import datetime


def human_bytes(n: int | float | None) -> str:
    if not n:
        return "0"
    value = float(n)
    for unit in ("B", "K", "M", "G", "T"):
        if abs(value) < 1024 or unit == "T":
            return f"{value:.0f}{unit}" if unit in ("B", "K") else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}T"  # pragma: no cover


def human_duration(seconds: float | int | None) -> str:
    """`3.2s`, `4m05s`, `2h03m`, `3d04h`."""
    if seconds is None:
        return ""
    s = float(seconds)
    if s < 60:
        return f"{s:.1f}s"
    m, sec = divmod(int(s), 60)
    if m < 60:
        return f"{m}m{sec:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d{h:02d}h"


def uptime(seconds: int | None) -> str:
    return human_duration(seconds) if seconds else "-"


def local_time(dt: datetime | None, *, seconds: bool = True) -> str:
    """A timestamp in the local zone, compact."""
    if dt is None:
        return "-"
    if dt.tzinfo is not None:
        dt = dt.astimezone()
    return dt.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def clock_time(dt: datetime | None) -> str:
    if dt is None:
        return "never"
    if dt.tzinfo is not None:
        dt = dt.astimezone()
    return dt.strftime("%H:%M:%S")


def percent(fraction: float | None) -> str:
    if fraction is None:
        return "-"
    return f"{fraction * 100:.1f}%"


def one_line(text: str | None, limit: int = 200) -> str:
    """Untrusted text flattened to one line and cut (for table cells)."""
    if not text:
        return ""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def plural(count: float, word: str) -> str:
    """`1 core`, `2 cores`, `0.5 cores`."""
    return f"{count:g} {word}" if count == 1 else f"{count:g} {word}s"


def wrap_line(line: str, width: int, indent: str = "  ") -> list[str]:
    """One log line hard-wrapped to `width` cells; continuation lines are indented."""
    if width <= len(indent) + 1 or len(line) <= width:
        return [line]
    pieces = [line[:width]]
    rest, step = line[width:], width - len(indent)
    while rest:
        pieces.append(indent + rest[:step])
        rest = rest[step:]
    return pieces
