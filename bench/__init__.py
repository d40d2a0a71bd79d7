"""Benchmarks: each `bench_<name>.py` exposes `run() -> list[dict]` (rows with name, figure, unit,
baseline, ratio, target, ok) and runs alone with `python -m bench.bench_<name>`; `python -m bench`
runs them all and prints one table. Keep this package light: benches import what they measure
inside their functions when start-up time is part of the figure.
"""

from __future__ import annotations

from typing import Any

KEYS = ("name", "figure", "unit", "baseline", "ratio", "target", "ok")
HEADER = ("what", "figure", "baseline", "ratio", "target", "ok")


def row(
    name: str, figure: float, unit: str, baseline: float | None, target: float | None
) -> dict[str, Any]:
    """One result row; `ok` means the figure meets its target (no target: always ok)."""
    return {
        "name": name,
        "figure": round(figure, 3),
        "unit": unit,
        "baseline": round(baseline, 3) if baseline is not None else None,
        "ratio": round(figure / baseline, 2) if baseline else None,
        "target": target,
        "ok": True if target is None else figure < target,
    }


def verdict(r: dict[str, Any]) -> str:
    """`ok`, `MISS` (target not met), `CRASH` (the bench failed) or `ABSENT` (no such bench)."""
    if r.get("absent"):
        return "ABSENT"
    if r.get("crashed"):
        return "CRASH"
    return "ok" if r.get("ok") else "MISS"


def cells(r: dict[str, Any]) -> list[str]:
    """One row as the table's six cells (every cell filled: `-` where there is nothing)."""
    unit = r.get("unit")
    if r.get("crashed") or r.get("absent"):
        figure = "crashed" if r.get("crashed") else "not written yet"
    else:
        figure = _num(r.get("figure"), unit)
    ratio = r.get("ratio")
    target = r.get("target")
    if isinstance(target, int | float) and not isinstance(target, bool):
        target_text = _num(target, unit, prefix="< ")
    else:
        target_text = str(target) if target not in (None, "") else "-"
    return [
        str(r.get("name", "?")),
        figure,
        _num(r.get("baseline"), unit),
        "-" if ratio is None else f"{ratio:g}x",
        target_text,
        verdict(r),
    ]


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned text table."""
    lines = [cells(r) for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(HEADER)]
    out = []
    for line in [list(HEADER), *lines]:
        first = line[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True))
        out.append(f"{first}  {rest}")
    return "\n".join(out)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table (pipes in cells escaped)."""
    out = ["| " + " | ".join(HEADER) + " |", "|---|" + "---:|" * 4 + ":---:|"]
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells(r)) + " |")
    return "\n".join(out)


def _num(value: Any, unit: str | None, prefix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{prefix}{value:g} {unit or ''}".rstrip()
