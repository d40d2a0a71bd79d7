"""Benchmarks: each `bench_<name>.py` exposes `run() -> list[dict]` (rows with name, figure, unit,
baseline, ratio, target, ok) and runs alone with `python -m bench.bench_<name>`; `python -m bench`
runs them all and prints one table. Keep this package light: benches import what they measure
inside their functions when start-up time is part of the figure.
"""

from __future__ import annotations

from typing import Any

KEYS = ("name", "figure", "unit", "baseline", "ratio", "target", "ok")


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


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned text table."""
    header = ["benchmark", "figure", "baseline", "ratio", "target", "ok"]
    lines = [
        [
            str(r.get("name", "?")),
            _num(r.get("figure"), r.get("unit")),
            _num(r.get("baseline"), r.get("unit")),
            "-" if r.get("ratio") is None else f"{r['ratio']}x",
            _num(r.get("target"), r.get("unit"), prefix="< "),
            "ok" if r.get("ok") else "MISS",
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = []
    for cells in [header, *lines]:
        first = cells[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        out.append(f"{first}  {rest}")
    return "\n".join(out)


def _num(value: Any, unit: str | None, prefix: str = "") -> str:
    if value is None:
        return "-"
    return (
        f"{prefix}{value:g} {unit or ''}".rstrip() if isinstance(value, int | float) else str(value)
    )
