"""The fault matrix (issue 8, point 1): every deploy step and every other operation against every
fault kind, against an in-process simulator (time scale 0) over HTTPS and SSH, and a database file.

Each cell arms its fault, runs the operation through the real services, and checks the outcome
the spec names (`matrix_spec.py`), the real cause in the operation's error, and the world's
invariants (`world.py`). The observed outcomes make `docs/reliability.md`: the last test fails
when the committed file differs (set PROXIMITY_REGEN_DOCS=1 to write it).

No outcome depends on timing: a timeout cell holds its call at a gate until the operation has
ended (the client's limit always fires first), then lets it go and waits for what it set off to
end before judging the world. The cells run one after the other, each test its own cell.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from proximity_tui.errors import ProximityError
from proximity_tui.services import events as ev
from proximity_tui.services.bootstrap import Services
from proximity_tui.services.docker_base import BASE_TAG
from pvesim.faults import FaultRule
from pvesim.gates import Gate
from pvesim.server import Simulator
from tests.commandline import REPO
from tests.reliability.conftest import make_services
from tests.reliability.matrix_spec import (
    Row,
    cause_for,
    cell_id,
    cells,
    limits_for,
    render,
    rules_for,
)
from tests.reliability.world import (
    app_rows,
    proximity_vmids,
    sim_backups,
    wait_sim_idle,
    world_problems,
)

DOC = REPO / "docs" / "reliability.md"
TEMPLATE = "alpine-3.22-default_20250617_amd64.tar.xz"
RESULTS: dict[str, str] = {}
CELLS = cells()
_names = itertools.count(1)


@dataclass
class World:
    """One simulator and one database; a `Services` per set of limits, all on that database."""

    sim: Simulator
    root: Path
    db_path: Path
    baseline: set[int]
    _services: dict[tuple, Services]

    def services(self, kind: str | None = None, *, base: bool = False) -> Services:
        """The services with the limits a cell of `kind` runs with (None: the patient ones),
        deploying through the node's Docker-ready base or not."""
        limits = {**limits_for(kind or ""), "deploy.base": base}
        key = tuple(sorted(limits.items()))
        if key not in self._services:
            self._services[key] = make_services(self.sim, self.root, **limits)
        return self._services[key]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    sim = Simulator(nodes=3, time_scale=0.0, seed=5)
    sim.start()
    root = tmp_path_factory.mktemp("matrix")
    w = World(sim, root, root / "db.sqlite", proximity_vmids(sim), {})
    w.services()
    yield w
    for services in w._services.values():
        services.close(wait=30)
    sim.stop()


def _drop_template(sim, node: str) -> None:
    """Make `node` download the template again (the template step's task)."""

    def drop() -> None:
        for storage in sim.state.nodes[node].storages.values():
            for volid in [v for v in storage.volumes if v.endswith(TEMPLATE)]:
                del storage.volumes[volid]

    sim.call(drop)


def _drop_bases(sim, node: str) -> None:
    """Make `node` build its Docker-ready base again (the template step's work with a base)."""

    def drop() -> None:
        for vmid in [
            v
            for v, g in sim.state.guests.items()
            if g.node == node and BASE_TAG in str(g.config.get("tags", "")).split(";")
        ]:
            del sim.state.guests[vmid]

    sim.call(drop)


def _drop_backups(services: Services, sim, volids: set[str]) -> None:
    """Delete archives over the API (they outlive their app, and at time scale 0 a later backup
    of a reused vmid would get the same name)."""

    def where() -> list[tuple[str, str, str]]:
        return [
            (node.name, name, volid)
            for node in sim.state.nodes.values()
            for name, storage in node.storages.items()
            for volid in volids & set(storage.volumes)
        ]

    for node, storage, volid in sim.call(where):
        upid = services.call(services.client.delete_volume(node, storage, volid))
        if upid:
            services.call(services.client.wait_task(upid))


class Armer:
    """Arms the cell's fault when its step (or operation) starts and removes it when it ends."""

    def __init__(self, sim, row: Row, kind: str) -> None:
        self.sim, self.row, self.kind = sim, row, kind
        self.rules = rules_for(row, kind)
        self.gates: list[Gate] = []
        self.ids: list[int] = []
        self.armed = False

    def __call__(self, event: ev.OperationEvent) -> None:
        row = self.row
        if event.operation != row.op:
            return
        if row.step is None:
            start = event.kind == ev.STARTED
            end = event.kind == ev.FINISHED
        else:
            start = event.kind == ev.STEP_STARTED and event.step == row.step
            end = event.step == row.step and event.kind in (ev.STEP_FINISHED, ev.STEP_FAILED)
            end = end and not row.through_rollback
            end = end or event.kind == ev.FINISHED
        if start and not self.armed:
            self.armed = True
            rules = list(self.rules)
            if row.undo_fault is not None:
                rules.append(FaultRule.from_dict(row.undo_fault.to_dict()))
            self.gates = [self.sim.faults.gate(r.gate) for r in rules if r.gate]
            self.ids = [self.sim.faults.add(rule) for rule in rules]
        elif end and self.armed:
            for rule_id in self.ids:  # the rules go; a call held at a gate stays held
                self.sim.faults.remove(rule_id)

    @property
    def fired(self) -> bool:
        return any(rule.fired for rule in self.rules)

    def settle(self) -> None:
        """The operation has ended: a call held at the gate goes on now (Proxmox carries out a
        call whose answer we gave up on), and whatever it sets off ends, before the world is
        judged. Tasks and commands that timed out were stopped by the client: they never ran."""
        self.sim.faults.clear()  # opens every gate
        for gate in self.gates:
            assert gate.wait_until(Gate.settled), f"{gate.name}: a held call never ended"
        wait_sim_idle(self.sim)


def _prepare(services, row: Row, hostname: str) -> tuple[str | None, str | None]:
    """The app the operation works on, in the state it needs; (app id, backup volid)."""
    if row.op == "deploy":
        return None, None
    app = services.call(services.apps.deploy_app("whoami", hostname))
    volid = None
    if row.op == "start":
        services.call(services.apps.stop_app(app.id))
    if row.op == "restore":
        volid = services.call(services.apps.backup_app(app.id)).volid
    return app.id, volid


def _operation(services, row: Row, hostname: str, app_id: str | None, volid: str | None):
    apps = services.apps
    return {
        "deploy": lambda: apps.deploy_app("whoami", hostname, node=row.node),
        "start": lambda: apps.start_app(app_id),
        "stop": lambda: apps.stop_app(app_id),
        "restart": lambda: apps.restart_app(app_id),
        "delete": lambda: apps.delete_app(app_id),
        "clone": lambda: apps.clone_app(app_id, f"{hostname}-copy"),
        "backup": lambda: apps.backup_app(app_id),
        "restore": lambda: apps.restore_app(app_id, volid),
        "update": lambda: apps.update_app(app_id),
    }[row.op]()


def _outcome(row: Row, op, apps_after: list[dict], hostname: str) -> str:
    status = op.status
    if status == "succeeded":
        text = "succeeded"
    elif row.op in ("deploy", "clone"):
        undone = " ".join((op.result or {}).get("undone") or [])
        parts = [
            what
            for key, what in (
                ("destroyed CT", "CT destroyed"),
                ("removed snapshot", "snapshot removed"),
                ("removed the app row", "row removed"),
                ("kept the app row", "row kept"),
            )
            if key in undone
        ]
        undo = f"rolled back ({', '.join(parts)})" if parts else "nothing to undo"
        if (op.result or {}).get("undo_errors"):
            undo = f"rollback incomplete ({', '.join(parts)})"
        text = f"{status} · {undo}"
    else:
        text = status
    target = hostname if row.op != "clone" else f"{hostname}-copy"
    mine = [a for a in apps_after if a["hostname"] == target]
    if mine and (row.op not in ("deploy", "clone") or status != "succeeded"):
        text += f" · app {mine[0]['status']}"
    return text


def run_cell(world: World, row: Row, kind: str) -> str:
    """Run one cell and check it (assertions raise); returns its outcome."""
    sim, db_path = world.sim, world.db_path
    services, faulted = world.services(base=row.base), world.services(kind, base=row.base)
    sim.faults.clear()
    hostname = f"fm{next(_names):03d}"
    if row.node == "pve2":
        _drop_template(sim, "pve2")
    if row.base and row.step == "template":
        _drop_bases(sim, row.node or "")
    backups_before = set(sim_backups(sim))
    app_id, volid = _prepare(services, row, hostname)
    ops_before = len(services.call(services.apps.operations(limit=None)))

    armer = Armer(sim, row, kind)
    unsubscribe = faulted.apps.events.subscribe(armer)
    error: ProximityError | None = None
    try:
        faulted.call(_operation(faulted, row, hostname, app_id, volid), timeout=60)
    except ProximityError as exc:
        error = exc
    finally:
        unsubscribe()
        armer.settle()

    ops = services.call(services.apps.operations(limit=None))
    assert len(ops) == ops_before + 1, [(o.id, o.kind, o.status, o.error) for o in ops[:3]]
    op = ops[0]
    assert op.kind == row.op
    assert armer.armed, f"the fault was never armed: {op.status} {op.error}"
    assert armer.fired, f"the fault never fired ({op.status}: {op.error}): {armer.rules}"
    expected = row.expected(kind)
    assert op.status == expected, f"{op.status}: {op.error}"
    if expected == "succeeded":
        assert error is None and op.error is None
    else:
        assert error is not None and op.error
        assert cause_for(row, kind) in op.error, op.error
        assert "Traceback" not in op.error
    if row.undo_fault is not None:
        assert "injected undo failure" in " ".join(op.result.get("undo_errors") or []), op.result

    # A failed start/stop records the CT's status as read right after the failure; when Proxmox
    # acted after our timeout the status changes later, and the next refresh (which the monitor
    # runs every few seconds) records it. So the world is checked as of that refresh: statuses
    # that refreshes own must agree with the CTs; everything else must already be right. What a
    # call carried out late made (a CT, a snapshot, an archive) is found by the late-effects
    # sweep after a refresh; this session reads the watch another one left in the journal.
    services.call(services.monitor.tick())
    services.call(services.apps.late.sweep(reload=True))
    assert world_problems(sim, db_path, ignore_vmids=world.baseline) == []
    apps_after = app_rows(db_path)
    if row.op == "deploy" and expected != "succeeded" and row.undo_fault is None:
        assert [a for a in apps_after if a["hostname"] == hostname] == []
    if row.op == "backup":
        # An archive made by a call that timed out must not be lost to the user: recorded.
        made = set(sim_backups(sim)) - backups_before
        recorded = {
            b.volid for a in apps_after for b in services.call(services.apps.list_backups(a["id"]))
        }
        assert made <= recorded, f"unrecorded backups: {made - recorded}"
    outcome = _outcome(row, op, apps_after, hostname)

    for app in apps_after:  # leave the cluster as empty as it was
        services.call(services.apps.delete_app(app["id"]))
    _drop_backups(services, sim, set(sim_backups(sim)) - backups_before)
    assert app_rows(db_path) == []
    return outcome


@pytest.mark.parametrize(("row", "kind"), CELLS, ids=[cell_id(r, k) for r, k in CELLS])
def test_cell(world, row: Row, kind: str):
    RESULTS[cell_id(row, kind)] = run_cell(world, row, kind)


def test_the_committed_table_is_the_observed_one():
    missing = [cell_id(r, k) for r, k in CELLS if cell_id(r, k) not in RESULTS]
    if missing:
        pytest.skip(f"{len(missing)} cells have no outcome (not selected with -k, or failed)")
    text = render(RESULTS)
    if os.environ.get("PROXIMITY_REGEN_DOCS"):
        DOC.write_text(text, encoding="utf-8")
    committed = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert committed == text, (
        f"{Path(DOC).relative_to(REPO)} is out of date: run "
        "PROXIMITY_REGEN_DOCS=1 .venv/bin/python -m pytest tests/reliability/test_fault_matrix.py"
    )
