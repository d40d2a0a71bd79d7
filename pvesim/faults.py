"""Declarative faults for the simulator: match a call, inject an effect, once, N times or by chance.

A rule matches an API call (method + path pattern), a task type, or a command run over SSH (inside a
CT with `pct exec`, or on the node), optionally narrowed to a node or vmid. Its effect is one of: an
HTTP error, a task failure, an exit status with stderr, a delay, or a dropped connection; and,
before that effect, a wait at a named gate the test opens (`gates.py`: a test facility).

Rules come from a JSON file (`--faults FILE`: a list of rule objects), from Python
(`sim.faults.add(FaultRule(...))`) or over the control endpoint at run time. `FaultSet` is
thread-safe: tests add rules from their own thread while the simulator's loop consults them.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import random
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvesim.gates import Gate


@dataclass
class FaultRule:
    # --- what it matches (every field given must match) ---
    #: HTTP method of an API call (`GET`, `POST`, ...).
    method: str | None = None
    #: Glob on the API path after `/api2/json` (`/nodes/*/lxc`, `/cluster/resources`).
    path: str | None = None
    #: Task type (`vzcreate`, `vzstart`, `download`, ...): the task runs, then fails.
    task: str | None = None
    #: Regex searched in the command line run over SSH (shell-joined argv, e.g. `apk add`).
    command: str | None = None
    node: str | None = None
    vmid: int | None = None

    # --- what it does ---
    #: API: answer with this status; `message` becomes the reason phrase and body message.
    http_status: int | None = None
    message: str | None = None
    #: Task: the task ends `TASK ERROR: <task_error>`.
    task_error: str | None = None
    #: Exec: the command exits with this status and writes `stderr`.
    exit_status: int | None = None
    stderr: str | None = None
    #: Seconds added before answering (real seconds, not scaled).
    delay: float = 0.0
    #: Close the connection without an answer (HTTP) or drop the SSH connection mid-command.
    drop: bool = False
    #: Wait at this gate (`FaultSet.gate(name)`) until the test opens it, then do the rest: a
    #: rule with only a gate holds the call, then lets it run as usual. A command whose client
    #: closes its channel meanwhile ends there (as a killed process); a held task can be stopped.
    gate: str | None = None
    #: Where a task waits at its gate: before its body (None, `"start"`: nothing done yet) or
    #: `"end"` (its work done and logged, the task still running until the gate opens).
    gate_at: str | None = None

    # --- how often ---
    #: How many times it fires; None means every time.
    times: int | None = 1
    probability: float = 1.0

    id: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)

    def kind(self) -> str:
        if self.task is not None:
            return "task"
        if self.command is not None:
            return "exec"
        return "api"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, 0.0, False)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        if not isinstance(data, dict):
            raise ValueError("a fault rule must be a JSON object")
        known = {f.name for f in dataclasses.fields(cls)} - {"id", "fired"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        rule = cls(**data)
        if rule.command is not None:
            re.compile(rule.command)
        if not 0.0 <= rule.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if rule.gate_at not in (None, "start", "end"):
            raise ValueError("gate_at must be 'start' or 'end'")
        return rule


class FaultSet:
    def __init__(self, rules: list[FaultRule] | None = None, *, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._rng = random.Random(seed)
        #: Seconds added to every API call and every SSH command.
        self.latency = 0.0
        self._gates: dict[str, Gate] = {}
        for rule in rules or []:
            self.add(rule)

    @classmethod
    def from_file(cls, path: str | Path, *, seed: int = 0) -> FaultSet:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            latency = float(data.get("latency", 0.0))
            data = data.get("rules", [])
        else:
            latency = 0.0
        if not isinstance(data, list):
            raise ValueError("a faults file holds a list of rules or {latency, rules}")
        faults = cls([FaultRule.from_dict(item) for item in data], seed=seed)
        faults.latency = latency
        return faults

    def add(self, rule: FaultRule) -> int:
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self._rules.append(rule)
            return rule.id

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        """No rules, no latency; every gate opens (nothing stays held) and is forgotten."""
        with self._lock:
            self._rules.clear()
            self.latency = 0.0
            gates, self._gates = list(self._gates.values()), {}
        for gate in gates:
            gate.open()

    def gate(self, name: str) -> Gate:
        """The gate called `name` (made closed on first use)."""
        with self._lock:
            if name not in self._gates:
                self._gates[name] = Gate(name)
            return self._gates[name]

    def hold(self, **fields: Any) -> Gate:
        """Hold the next call a rule made of `fields` picks (`command=r"apk add"`, `times=2`, and
        an effect for after the gate if any) at a new gate, closed until the test opens it."""
        with self._lock:
            name = f"hold-{self._next_id}"
        gate = self.gate(name)
        self.add(FaultRule(gate=name, **fields))
        return gate

    def gate_of(self, rule: FaultRule | None) -> Gate | None:
        return self.gate(rule.gate) if rule is not None and rule.gate else None

    def gates(self) -> dict[str, Gate]:
        with self._lock:
            return dict(self._gates)

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    # --- matching: each returns the rule that fires (and counts it), or None ---

    def match_api(
        self, method: str, path: str, *, node: str | None = None, vmid: int | None = None
    ) -> FaultRule | None:
        return self._fire(
            lambda r: (
                r.kind() == "api"
                and (r.method is None or r.method.upper() == method.upper())
                and (r.path is None or fnmatch.fnmatchcase(path, r.path))
            ),
            node,
            vmid,
        )

    def match_task(self, task_type: str, *, node: str, vmid: int | None) -> FaultRule | None:
        return self._fire(lambda r: r.kind() == "task" and r.task == task_type, node, vmid)

    def match_exec(self, command: str, *, node: str, vmid: int | None) -> FaultRule | None:
        return self._fire(
            lambda r: r.kind() == "exec" and re.search(r.command or "", command) is not None,
            node,
            vmid,
        )

    def _fire(self, predicate, node: str | None, vmid: int | None) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.node is not None and rule.node != node:
                    continue
                if rule.vmid is not None and rule.vmid != vmid:
                    continue
                if not predicate(rule):
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                return rule
        return None
