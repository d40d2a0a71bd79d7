"""Two users at once (issue 8, point 4): separate `proximity-tui` processes on one database file
deploying, changing, deleting and refreshing at the same time, against one simulator process.

SQLite in WAL mode with a busy timeout and `BEGIN IMMEDIATE` writers is what makes this work: no
`database is locked` may reach a user, no update may be lost (the final database says exactly
what the commands did, and agrees with the cluster), and two deploys of one hostname give
exactly one app.
"""

from __future__ import annotations

import threading

from tests.commandline import run_cli
from tests.reliability.conftest import cluster_facts
from tests.reliability.world import app_rows, db_rows, problems

LOCKED_WORDS = ("locked", "database is busy", "Traceback")


def test_deploy_change_delete_and_refresh_at_once(sim_process, tmp_path):
    env = sim_process.env(tmp_path / "data")
    scripts = {
        # Both deploy the same hostname first: exactly one of them may get it.
        "alice": [
            ("deploy", "whoami", "--hostname", "twin"),
            ("deploy", "whoami", "--hostname", "alice-1"),
            ("delete", "alice-1", "--yes"),
        ],
        "bob": [
            ("deploy", "whoami", "--hostname", "twin"),
            ("deploy", "whoami", "--hostname", "bob-1"),
            ("stop", "bob-1"),
        ],
        # A `status` refresh writes what it saw into the same tables.
        "carol": [("status",), ("deploy", "whoami", "--hostname", "carol-1")],
    }
    outcomes: dict[str, list] = {}

    def user(name: str) -> None:
        outcomes[name] = [run_cli(*args, env=env) for args in scripts[name]]

    threads = [threading.Thread(target=user, args=(name,)) for name in scripts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    twins = sorted((outcomes[n][0] for n in ("alice", "bob")), key=lambda r: r.returncode)
    assert twins[0].returncode == 0 and twins[1].returncode != 0, [t.stderr for t in twins]
    loser = twins[1].stderr
    assert loser.count("\n") == 1 and "twin" in loser, loser  # one line, naming the clash
    for name, results in outcomes.items():
        for args, result in zip(scripts[name], results, strict=True):
            assert not any(word in result.stderr for word in LOCKED_WORDS), result.stderr
            if result is not twins[1]:
                assert result.returncode == 0, (name, args, result.stderr)
    db = tmp_path / "data" / "proximity.db"
    apps = {a["hostname"]: a["status"] for a in app_rows(db)}
    # Nothing lost, nothing extra.
    assert apps == {"twin": "running", "bob-1": "stopped", "carol-1": "running"}
    ops = db_rows(db, "SELECT kind, hostname, status FROM operations WHERE status != 'failed'")
    assert sorted(ops) == sorted(
        [("deploy", h, "succeeded") for h in ("twin", "alice-1", "bob-1", "carol-1")]
        + [("delete", "alice-1", "succeeded"), ("stop", "bob-1", "succeeded")]
    )
    running = db_rows(db, "SELECT id, kind FROM operations WHERE status = 'running'")
    cts = cluster_facts(sim_process.config)
    assert [ct.vmid for ct in cts.values() if ct.name == "twin"] == [
        a["vmid"] for a in app_rows(db) if a["hostname"] == "twin"
    ]
    assert problems(cts, app_rows(db), running_ops=running) == []
