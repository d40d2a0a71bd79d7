"""`python -m bench [NAME ...]`: run every `bench/bench_*.py` (or the named ones), print one
table, write `bench/results.json`. A bench that crashes becomes a MISS row with its error; the
others still run. Exit code 0 when every row meets its target, 1 otherwise."""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import KEYS, format_table

HERE = Path(__file__).resolve().parent


def discover(names: list[str]) -> list[str]:
    found = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    unknown = [n for n in names if n not in found]
    if unknown:
        raise SystemExit(f"unknown bench: {', '.join(unknown)} (known: {', '.join(found)})")
    return [n for n in found if not names or n in names]


def run_one(name: str) -> list[dict[str, Any]]:
    try:
        module = importlib.import_module(f"bench.bench_{name}")
        rows = list(module.run())
    except Exception as exc:  # one broken bench must not hide the others' figures
        traceback.print_exc(file=sys.stderr)
        return [{"name": f"{name}: crashed", "figure": None, "unit": None, "baseline": None,
                 "ratio": None, "target": None, "ok": False, "error": repr(exc)}]  # fmt: skip
    for r in rows:
        missing = [k for k in KEYS if k not in r]
        if missing:
            r.update({"ok": False, "error": f"row lacks {', '.join(missing)}"})
        r.setdefault("bench", name)
    return rows


def main(argv: list[str]) -> int:
    rows: list[dict[str, Any]] = []
    for name in discover(argv):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        rows.extend(run_one(name))
        print(f"  {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    print(format_table(rows))
    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }
    results = {"machine": machine, "rows": rows}
    (HERE / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0 if all(r.get("ok") for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
