"""The demo's first start deploys its seed apps (handed to the services as `after_connect`, the
services never importing the command layer); a second start deploys nothing more."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from proximity_tui.demo import SEED_APPS, build_demo_services


def _start(directory, *, seed_apps: bool = True):
    services = build_demo_services(directory, time_scale=0.0, seed_apps=seed_apps)
    services.call(services.connect(monitor=False))
    assert services.call(services.apps.wait_idle(120))
    return services


def test_first_start_seeds_the_demo_apps_once(tmp_path):
    services = _start(tmp_path)
    try:
        apps = services.call(services.apps.list_apps())
        assert sorted(a.hostname for a in apps) == sorted(h for _, h in SEED_APPS)
        assert {a.status for a in apps} == {"running"}
        first_ops = services.journal.list()
    finally:
        services.close(wait=30)
    again = _start(tmp_path)
    try:
        assert len(again.call(again.apps.list_apps())) == len(SEED_APPS)
        assert len(again.journal.list()) == len(first_ops)  # nothing new was started
    finally:
        again.close(wait=30)


def test_no_seed_when_not_asked(tmp_path):
    services = _start(tmp_path, seed_apps=False)
    try:
        assert services.after_connect is None
        assert services.call(services.apps.list_apps()) == []
    finally:
        services.close(wait=30)


def test_a_second_process_on_the_same_directory_joins_the_running_cluster(tmp_path):
    """Two dashboards (or a dashboard and a --demo command) on one data directory share one
    simulated cluster: an app deployed through one is running for the other, and stopping the
    joiner leaves the owner's cluster and state alone."""
    owner = _start(tmp_path / "demo")  # where --demo looks under PROXIMITY_DATA_DIR
    try:
        joined = subprocess.run(
            [sys.executable, "-m", "proximity_tui", "--demo", "status", "--json"],
            env={**os.environ, "PROXIMITY_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert joined.returncode == 0, joined.stderr
        assert joined.stderr == ""
        report = json.loads(joined.stdout)
        statuses = {a["hostname"]: a["status"] for a in report["apps"]}
        assert statuses == {h: "running" for _, h in SEED_APPS}
        # The owner's cluster still answers after the joiner exited.
        assert {a.status for a in owner.call(owner.apps.list_apps())} == {"running"}
    finally:
        owner.close(wait=30)
