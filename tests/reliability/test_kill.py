"""Killed mid-operation (issue 8, point 2): `proximity-tui deploy --json` in a subprocess against a
simulator process, SIGKILLed as it enters each step of the pipeline (and once in the middle of
the create task); the next command of the same user recovers first. Afterwards no CT is an
orphan, no app row is half-written, and every killed deploy is `interrupted` saying what was
undone.

Time scale: small but not zero, so each step takes a little real time and the kill, sent the
moment the step's `step_started` line appears, lands inside that step. One simulator and one
database serve every kill, in turn: each deploy recovers the one killed before it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from proximity_tui.services.operations.deploy import deploy_steps
from tests.commandline import REPO, CliSim, run_cli
from tests.reliability.conftest import cluster_facts
from tests.reliability.world import app_rows, db_rows, problems

STEPS = [name for name, _ in deploy_steps()]
#: (step, event kind that triggers the kill): each step as it starts, and the create step once
#: its task is writing its log (the CT exists, locked, half made).
KILL_POINTS = [(step, "step_started") for step in STEPS] + [("create", "log")]


@dataclass
class Kill:
    step: str
    trigger: str
    hostname: str
    returncode: int | None = None
    seen: list[str] = field(default_factory=list)
    #: What the next command printed on stderr (its recovery notes).
    recovered: str = ""


@pytest.fixture(scope="module")
def slow_sim(tmp_path_factory):
    with CliSim(tmp_path_factory.mktemp("kill-sim"), time_scale=0.03, seed=11) as proc:
        yield proc


def deploy_and_kill(env: dict[str, str], kill: Kill) -> str:
    """Run a deploy, SIGKILL it at its kill point; returns its stderr (the recovery it ran)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "proximity_tui", "deploy", "whoami", "--hostname", kill.hostname]
        + ["--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        for line in iter(proc.stdout.readline, ""):
            event = json.loads(line)
            if event.get("kind") == "step_started":
                kill.seen.append(event["step"])
            if event.get("kind") == kill.trigger and event.get("step") == kill.step:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=60)
        kill.returncode = proc.returncode
        stderr = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    return stderr


def run_chain(slow_sim: CliSim, data_dir: Path, kills: list[Kill]) -> dict:
    """Kill each deploy in turn; the next deploy (and a final `status`) recovers the previous."""
    env = slow_sim.env(data_dir)
    previous: Kill | None = None
    for kill in kills:
        stderr = deploy_and_kill(env, kill)
        if previous is not None:
            previous.recovered = stderr
        previous = kill
    status = run_cli("status", "--json", env=env)
    if previous is not None:
        previous.recovered = status.stderr
    return {"status": status, "db": data_dir / "proximity.db"}


@pytest.fixture(scope="module")
def chain(slow_sim, tmp_path_factory):
    kills = [Kill(step, trigger, f"kill-{n:02d}") for n, (step, trigger) in enumerate(KILL_POINTS)]
    return kills, run_chain(slow_sim, tmp_path_factory.mktemp("chain"), kills)


def test_every_kill_landed_in_its_step(chain):
    kills, result = chain
    for kill in kills:
        assert kill.returncode == -signal.SIGKILL, (kill.step, kill.returncode)
        assert kill.seen and kill.seen[-1] == kill.step, (kill.step, kill.seen)
    steps = dict(db_rows(result["db"], "SELECT hostname, step FROM operations"))
    for kill in kills:  # the journal knows the step it died in (recovery tells the user)
        assert steps[kill.hostname] == kill.step, (kill.hostname, steps[kill.hostname])


def test_the_next_command_recovers_and_says_what_it_undid(chain):
    kills, result = chain
    status = result["status"]
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout) == {"ok": True, "error": None, "apps": [], "orphans": []}
    for kill in kills:
        notes = [ln for ln in kill.recovered.splitlines() if "recovered:" in ln]
        assert len(notes) == 1, (kill.step, kill.recovered)
        assert f"of {kill.hostname} was interrupted at step {kill.step}:" in notes[0], notes[0]
        assert "Traceback" not in kill.recovered


def test_no_orphan_no_half_written_row_and_each_deploy_is_interrupted(chain, slow_sim):
    kills, result = chain
    db = result["db"]
    running = db_rows(db, "SELECT id, kind FROM operations WHERE status = 'running'")
    assert problems(cluster_facts(slow_sim.config), app_rows(db), running_ops=running) == []
    assert app_rows(db) == []  # every deploy died before it recorded its app
    ops = db_rows(db, "SELECT hostname, status, error, result FROM operations")
    assert len(ops) == len(kills)
    by_host = {host: (status, error, json.loads(res or "{}")) for host, status, error, res in ops}
    for kill in kills:
        status, error, result = by_host[kill.hostname]
        assert status == "interrupted", (kill.step, status, error)
        assert error == f"interrupted at step {kill.step} (the process running it died)", error
        assert result["recovery_problems"] == [], result
        undone, state = " ".join(result["undone"]), result["state"]
        # What was done is undone, and said: the CT if one was asked for and made, the row.
        if state.get("reserved"):
            assert f"removed the app row whoami-{kill.hostname}" in undone, (kill.step, result)
        else:
            assert STEPS.index(kill.step) <= STEPS.index("reserve"), (kill.step, result)
        if STEPS.index(kill.step) > STEPS.index("create") or kill.trigger == "log":
            assert f"destroyed CT {state['vmid']}" in undone, (kill.step, result)


def test_a_deploy_killed_between_recording_and_journaling_keeps_its_app(sim, tmp_path):
    """The narrowest window: the record step marked the row running, then the process died
    before the journal noted `recorded`. The app is complete: recovery must keep its CT (it
    used to destroy it, leaving a `running` row without a container)."""
    from proximity_tui.services.journal import Journal
    from tests.reliability.conftest import make_services
    from tests.reliability.world import world_problems

    services = make_services(sim, tmp_path)
    try:
        app = services.call(services.apps.deploy_app("whoami", "kill-late"))
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        ghost = Journal(services.db, pid=dead.pid)
        op_id = ghost.start("deploy", app_id=app.id, hostname=app.hostname, step="record")
        ghost.save_state(
            op_id,
            {"vmid": app.vmid, "node": app.node, "reserved": True, "create_requested": True},
        )
        notes = services.call(services.apps.recover())
        assert len(notes) == 1 and "kept kill-late" in notes[0], notes
        assert services.call(services.apps.get_app(app.id)).status == "running"
        assert world_problems(sim, services.db.path) == []
    finally:
        services.close(wait=10)


def test_two_processes_starting_at_once_recover_a_dead_operation_once(sim, tmp_path):
    """After a crash the user (or two users) may start two commands at once: exactly one of them
    resolves each dead operation; the other leaves it alone."""
    import threading

    from proximity_tui.services.journal import Journal
    from tests.reliability.conftest import make_services

    first = make_services(sim, tmp_path)
    second = make_services(sim, tmp_path)
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        ghosts = [Journal(first.db, pid=dead.pid) for _ in range(3)]
        op_ids = [
            g.start("deploy", app_id=f"whoami-ghost{n}", hostname=f"ghost{n}")
            for n, g in enumerate(ghosts)
        ]
        notes: dict[str, list[str]] = {}
        go = threading.Barrier(2)

        def run(name: str, services) -> None:
            go.wait()
            notes[name] = services.call(services.apps.recover())

        threads = [
            threading.Thread(target=run, args=(n, s))
            for n, s in (("first", first), ("second", second))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        all_notes = notes["first"] + notes["second"]
        assert len(all_notes) == len(op_ids), all_notes  # each once, by one of them
        for op_id in op_ids:
            assert sum(f"#{op_id} " in n for n in all_notes) == 1, all_notes
            assert first.call(first.apps.operation(op_id)).status == "interrupted"
    finally:
        first.close(wait=10)
        second.close(wait=10)
