"""Killed mid-operation (issue 8, point 2): `proximity-tui deploy --json` in a subprocess against a
simulator process, SIGKILLed inside each step of the pipeline (and once while its create task
runs); the next command of the same user recovers first. Afterwards no CT is an orphan, no app row
is half-written, and every killed deploy is `interrupted` saying what was undone.

No kill depends on timing: the first simulator call of each step is held at a gate (`/_sim/gates`),
step after step, until the process is provably inside the step to kill (it announced the step and
its call waits at the gate); then SIGKILL, then the held call is let go and has ended before the
next command starts (an API request whose client is gone is still carried out: Proxmox had read
it whole; a command whose channel is gone ends there). The create task is
held too: the process dies with its CT existing, locked; the next command's recovery is shown that
locked CT (its first look is held until then) and must wait for the task to end before destroying
it. One simulator and one database serve every kill, in turn: each recovers the one before it.
"""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from proximity_tui.services.operations.deploy import deploy_steps
from tests.commandline import REPO, CliSim
from tests.reliability.conftest import cluster_facts
from tests.reliability.world import app_rows, db_rows, problems

STEPS = [name for name, _ in deploy_steps()]
#: The first simulator call each step makes (fault-rule fields). Held in turn: once the step
#: before is held at its own first call, the next call matching these fields is this step's.
FIRST_CALLS: dict[str, dict[str, Any]] = {
    "validate": {"method": "GET", "path": "/cluster/resources"},  # the hostname is free
    "place": {"method": "GET", "path": "/nodes"},
    "reserve": {"method": "GET", "path": "/cluster/nextid"},
    # its storages were listed by the place step (read once per operation): its templates
    "template": {"method": "GET", "path": "/nodes/*/storage/*/content"},
    "create": {"method": "POST", "path": "/nodes/*/lxc"},
    "start": {"method": "POST", "path": "/nodes/*/lxc/*/status/start"},
    "network": {"method": "GET", "path": "/nodes/*/lxc/*/interfaces"},
    "docker": {"command": r"apk add docker"},
    "compose": {"command": r"cat > "},  # writes compose.yaml
    "health": {"command": r"docker compose -f \S+ ps "},
    "record": {"method": "GET", "path": "/nodes/*/lxc/*/status/current"},
}
CREATE_TASK = {"task": "vzcreate"}
#: Recovery's first look at a CT (`containers.status`): held to show it the create still running.
FIRST_LOOK = {"method": "GET", "path": "/nodes/*/lxc/*/status/current"}
#: (step, where in it the kill lands): each step at its first call, and the create step while
#: its task runs (the CT exists, locked, half made).
KILL_POINTS = [(step, "first call") for step in STEPS] + [("create", "task")]
#: Generous: a condition that has not held by then never will (a slow machine only waits longer).
PATIENCE = 120.0
_gate_names = itertools.count(1)


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
def held_sim(tmp_path_factory):
    with CliSim(tmp_path_factory.mktemp("kill-sim"), seed=11) as proc:
        yield proc


def wait(condition: Callable[[], bool], what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the deploy ended ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {PATIENCE:.0f} s")
        time.sleep(0.02)


class Gates:
    """Gates of the simulator process, over its control endpoint."""

    def __init__(self, sim: CliSim) -> None:
        self.sim = sim

    def hold(self, fields: dict[str, Any]) -> str:
        """The next call matching `fields` waits at a new gate; its name."""
        name = f"kill-{next(_gate_names)}"
        self.sim.add_faults({**fields, "gate": name})
        return name

    def counts(self, name: str) -> dict[str, Any]:
        return self.sim.endpoint.gate(name)

    def arrived(self, name: str) -> bool:
        return self.counts(name)["arrived"] >= 1

    def open(self, name: str) -> None:
        self.sim.endpoint.open_gate(name)

    def let_go(self, name: str) -> None:
        """Open it and wait until what it held has ended."""
        self.open(name)
        wait(lambda: (c := self.counts(name))["finished"] >= c["arrived"], f"end behind {name}")


class Deploy:
    """`proximity-tui deploy --json` in a subprocess; a thread reads its events."""

    def __init__(self, env: dict[str, str], hostname: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "proximity_tui", "deploy", "whoami", "--hostname", hostname]
            + ["--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        self.steps: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in iter(self.proc.stdout.readline, ""):
            event = json.loads(line)
            if event.get("kind") == "step_started":
                self.steps.append(event["step"])

    def in_step(self, step: str) -> bool:
        return bool(self.steps) and self.steps[-1] == step

    def kill(self) -> str:
        """SIGKILL; its stderr (the recovery it ran before its deploy)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=PATIENCE)
        self.reader.join(PATIENCE)
        stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return stderr


def deploy_and_kill(gates: Gates, env: dict[str, str], kill: Kill, locked: str | None):
    """Run a deploy, hold it step by step up to its kill point, SIGKILL it there. `locked`: the
    gate still holding the create task of the deploy killed before. Returns the deploy's stderr
    (the recovery it ran) and the gate of its own create task when it dies holding one."""
    held = gates.hold(FIRST_CALLS[STEPS[0]])
    look = gates.hold(FIRST_LOOK) if locked else None
    deploy = Deploy(env, kill.hostname)
    try:
        show_locked(gates, look, locked, deploy.proc)
        for step in STEPS[: STEPS.index(kill.step) + 1]:
            wait(
                lambda s=step, h=held: gates.arrived(h) and deploy.in_step(s),
                f"call of step {step} held",
                deploy.proc,
            )
            if step != kill.step:
                following = gates.hold(FIRST_CALLS[STEPS[STEPS.index(step) + 1]])
                gates.open(held)
                held = following
        if kill.trigger == "task":
            task = gates.hold(CREATE_TASK)
            gates.open(held)
            wait(lambda: gates.arrived(task), "create task held", deploy.proc)
            held = task
    finally:
        kill.seen = list(deploy.steps)
        stderr = deploy.kill()
        kill.returncode = deploy.proc.returncode
    if kill.trigger == "task":
        return stderr, held  # the task stays held: the next command finds its CT locked
    gates.let_go(held)  # Proxmox carries out the call the process died waiting for
    return stderr, None


def show_locked(gates: Gates, look: str | None, locked: str | None, proc) -> None:
    """The recovering command's first look at the CT is answered while its create task is still
    held (the CT locked); then the task goes on (recovery must wait for it to end)."""
    if look is None or locked is None:
        return
    wait(lambda: gates.arrived(look), "look at the locked CT", proc)
    gates.let_go(look)
    gates.open(locked)


def run_chain(held_sim: CliSim, data_dir: Path, kills: list[Kill]) -> dict:
    """Kill each deploy in turn; the next deploy (and a final `status`) recovers the previous."""
    # The create path, whose first calls FIRST_CALLS names (a clone of the node's Docker-ready
    # base makes others; its crash recovery is tested in test_docker_base.py and the matrix).
    env = held_sim.env(data_dir, PROXIMITY_DEPLOY_BASE="false")
    gates = Gates(held_sim)
    previous: Kill | None = None
    locked: str | None = None
    for kill in kills:
        stderr, left = deploy_and_kill(gates, env, kill, locked)
        if previous is not None:
            previous.recovered = stderr
        previous, locked = kill, left
    look = gates.hold(FIRST_LOOK) if locked else None
    status = subprocess.Popen(
        [sys.executable, "-m", "proximity_tui", "status", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    show_locked(gates, look, locked, status)
    stdout, stderr = status.communicate(timeout=PATIENCE)
    if previous is not None:
        previous.recovered = stderr
    held_sim.clear_faults()
    return {"status": (status.returncode, stdout, stderr), "db": data_dir / "proximity.db"}


@pytest.fixture(scope="module")
def chain(held_sim, tmp_path_factory):
    kills = [Kill(step, trigger, f"kill-{n:02d}") for n, (step, trigger) in enumerate(KILL_POINTS)]
    return kills, run_chain(held_sim, tmp_path_factory.mktemp("chain"), kills)


def test_every_step_has_its_first_call_named():
    assert list(FIRST_CALLS) == STEPS  # a new step needs its call here to be killed in


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
    returncode, stdout, stderr = result["status"]
    assert returncode == 0, stderr
    assert json.loads(stdout) == {"ok": True, "error": None, "apps": [], "orphans": []}
    for kill in kills:
        notes = [ln for ln in kill.recovered.splitlines() if "recovered:" in ln]
        assert len(notes) == 1, (kill.step, kill.recovered)
        assert f"of {kill.hostname} was interrupted at step {kill.step}:" in notes[0], notes[0]
        assert "Traceback" not in kill.recovered


def test_no_orphan_no_half_written_row_and_each_deploy_is_interrupted(chain, held_sim):
    kills, result = chain
    db = result["db"]
    running = db_rows(db, "SELECT id, kind FROM operations WHERE status = 'running'")
    assert problems(cluster_facts(held_sim.config), app_rows(db), running_ops=running) == []
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
        # Killed at the create call itself, the CT is made all the same: pveproxy had read the
        # whole request (pve-http-server AnyEvent.pm) and carries it out after its client died.
        made = STEPS.index(kill.step) >= STEPS.index("create")
        assert (f"destroyed CT {state.get('vmid')}" in undone) is made, (kill.step, result)


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
