"""apps.json migration, 10,000 entries: first run and rerun.

Figures (seconds, median of 3; target < 2 s each), each against a baseline measured in the same
run: writing the same rows with one plain sqlite3 `executemany` (JSON parsed, table created,
rows inserted, committed: the least any import can do).
- in process: `migrate_file` on a fresh database (schema created, every entry validated, the
  backups and the journal written), then again over the same file (every entry unchanged);
- the whole command, `python -m proximity_tui migrate FILE` in a fresh process (what a user
  waits for), against the plain baseline also in a fresh process.

Run: `python -m bench.bench_migration`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import row

ENTRIES = 10_000
ROUNDS = 3
TARGET_S = 2.0
ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (
    "id", "catalog_id", "name", "hostname", "status", "url", "lxc_id", "node",
    "created_at", "updated_at", "config", "ports", "volumes", "environment",
)  # fmt: skip


def generate(path: Path, n: int = ENTRIES) -> Path:
    """An apps.json like the original's, `n` entries on three nodes."""
    apps = [
        {
            "id": f"app{i % 40}-host{i}",
            "catalog_id": f"app{i % 40}",
            "name": f"App {i % 40}",
            "hostname": f"host{i}",
            "status": ("running", "stopped", "error")[i % 3],
            "url": f"http://10.0.{i // 250}.{i % 250}:8080",
            "lxc_id": 1000 + i,
            "node": f"pve{i % 3 + 1}",
            "created_at": "2025-10-04 00:33:41.918809",
            "updated_at": "2025-10-04T00:33:41Z",
            "config": {"cores": 1, "memory": 512},
            "ports": {"8080": 80},
            "volumes": ["/data"],
            "environment": {"TZ": "UTC"},
        }  # fmt: skip
        for i in range(n)
    ]
    path.write_text(json.dumps({"apps": apps}))
    return path


def plain_executemany(source: str | Path, db: str | Path) -> None:
    """The baseline: the same rows, one executemany, nothing checked."""
    apps = json.loads(Path(source).read_bytes())["apps"]
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE TABLE apps ({', '.join(COLUMNS)}, PRIMARY KEY (id))")
    conn.executemany(
        f"INSERT INTO apps VALUES ({', '.join('?' * len(COLUMNS))})",  # noqa: S608 - constants
        [
            tuple(json.dumps(a[c]) if isinstance(a[c], dict | list) else a[c] for c in COLUMNS)
            for a in apps
        ],
    )
    conn.commit()
    conn.close()


def _median_s(fn: Callable[[int], Any], rounds: int = ROUNDS) -> float:
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _cli(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:  # a timed failure would be a meaningless figure
        raise RuntimeError(f"{args[:3]} exited {done.returncode}: {done.stderr.strip()[-300:]}")


def run() -> list[dict[str, Any]]:
    from functools import partial

    from proximity_tui.services.migration.adoption import Adoption
    from proximity_tui.services.migration.apply import migrate_file as migrate

    # No Proxmox here: every entry adopted unchecked, as `migrate --adopt-untagged` does.
    migrate_file = partial(migrate, adoption=Adoption(adopt_untagged=True))

    with tempfile.TemporaryDirectory(prefix="bench-migration-") as tmp:
        work = Path(tmp)
        source = generate(work / "apps.json")
        migrate_file(work / "warm.db", source)  # imports and Alembic paid once, not timed

        def first(i: int) -> None:
            report = migrate_file(work / f"first{i}.db", source)
            assert report.counts()["created"] == ENTRIES, report.counts()

        def rerun(_: int) -> None:
            report = migrate_file(work / "first0.db", source)
            assert report.counts()["unchanged"] == ENTRIES, report.counts()

        first_s = _median_s(first)
        rerun_s = _median_s(rerun)
        plain_s = _median_s(lambda i: plain_executemany(source, work / f"plain{i}.db"))

        (work / "none.toml").write_text("")
        env = {**os.environ, "PROXIMITY_DATA_DIR": str(work / "data"),
               "PROXIMITY_CONFIG": str(work / "none.toml")}  # fmt: skip
        # No Proxmox here either: the command must be told to adopt unchecked (it refuses to
        # guess without credentials), as the in-process runs above are.
        migrate = ["-m", "proximity_tui", "migrate", str(source), "--adopt-untagged", "--db"]
        cli_first_s = _median_s(lambda i: _cli([*migrate, str(work / f"cli{i}.db")], env))
        cli_rerun_s = _median_s(lambda _: _cli([*migrate, str(work / "cli0.db")], env))
        code = (
            "import sys; from bench.bench_migration import plain_executemany; "
            "plain_executemany(sys.argv[1], sys.argv[2])"
        )
        cli_plain_s = _median_s(
            lambda i: _cli(["-c", code, str(source), str(work / f"cplain{i}.db")], env)
        )
        check = sqlite3.connect(work / "cli0.db")
        stored = check.execute("SELECT count(*) FROM apps").fetchone()[0]
        check.close()
        if stored != ENTRIES:
            raise RuntimeError(f"the command stored {stored} apps, not {ENTRIES}")

    n = f"{ENTRIES:,}"
    return [
        row(f"migrate {n} entries, first run", first_s, "s", plain_s, TARGET_S),
        row(f"migrate {n} entries, rerun", rerun_s, "s", plain_s, TARGET_S),
        row(f"proximity-tui migrate {n}, first run (process)", cli_first_s, "s", cli_plain_s,
            TARGET_S),
        row(f"proximity-tui migrate {n}, rerun (process)", cli_rerun_s, "s", cli_plain_s,
            TARGET_S),
    ]  # fmt: skip


if __name__ == "__main__":
    from bench import format_table

    print(format_table(run()))
