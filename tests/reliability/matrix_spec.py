"""The fault matrix: which call each (operation or deploy step) x (fault kind) cell breaks, what
the outcome must be, and how `docs/reliability.md` is written from the observed outcomes.

A row is a deploy step or a whole operation; it names the API call, the Proxmox task and the
command in the container that a fault can hit there. A kind with nothing to hit in a row is "n/a"
with the reason, in the table too. Faults on a deploy step are armed when that step starts and
removed when it ends (the rollback then meets a healthy Proxmox: rows under "Rollback under
fault" keep the fault on through the undos instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pvesim.faults import FaultRule

#: The client-side limit a timeout cell runs with, on the layer it faults (`[proxmox] timeout` for
#: an API timeout; `[deploy] task_timeout` and `[ssh] timeout` for a task or a command timeout).
#: The faulted call is held at a gate until the operation has ended, so it always runs past this
#: limit, however loaded the machine: the limit only bounds how long such a cell takes.
API_TIMEOUT = 0.5
TASK_TIMEOUT = 0.5
#: How long the health step keeps asking (every cell: a `compose ps` that keeps failing must end).
HEALTH_TIMEOUT = 0.5
#: Every other limit, in every cell: far beyond anything a healthy call takes on a loaded machine.
PATIENT = 30.0
#: How late a "slow" cell's answers come (against the patient limits).
SLOW = 0.25
KINDS: dict[str, str] = {
    "http_500": "HTTP 500",
    "api_timeout": "API timeout",
    "task_failed": "task fails",
    "task_timeout": "task timeout",
    "exec_failed": "command fails",
    "exec_timeout": "command timeout",
    "ssh_drop": "SSH drops",
    "slow": "slow answers",
}
API_KINDS = ("http_500", "api_timeout")
TASK_KINDS = ("task_failed", "task_timeout")
EXEC_KINDS = ("exec_failed", "exec_timeout", "ssh_drop")
TIMEOUT_KINDS = ("api_timeout", "task_timeout", "exec_timeout")


@dataclass(frozen=True)
class Row:
    op: str
    #: The deploy step the fault is armed in; None: armed for the whole operation.
    step: str | None = None
    api: tuple[str, str] | None = None  # (method, path glob)
    task: str | None = None
    command: str | None = None  # regex on the command line run over SSH
    node: str | None = None
    #: Expected final status per kind (default: `failed`, `succeeded` for slow).
    expect: dict[str, str] = field(default_factory=dict)
    #: Kinds that have a target here but are not exercised, with the reason.
    na: dict[str, str] = field(default_factory=dict)
    #: Keep the fault armed through the rollback (the "rollback under fault" rows).
    through_rollback: bool = False
    #: A second fault hitting the undo (rollback under fault), armed with the first.
    undo_fault: FaultRule | None = None
    title: str = ""
    #: Deploy through the node's Docker-ready base (`[deploy] base`); the other rows deploy
    #: the old way (create the CT, install Docker), which stays the path without a base.
    base: bool = False

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        return f"{self.op} / {self.step}" if self.step else self.op

    @property
    def key(self) -> str:
        return self.label.replace(" / ", "-").replace(" ", "-").replace(",", "")

    def reason_na(self, kind: str) -> str | None:
        if kind in self.na:
            return self.na[kind]
        if kind in API_KINDS and self.api is None:
            return "no API call"
        if kind in TASK_KINDS and self.task is None:
            return "no task"
        if kind in EXEC_KINDS and self.command is None:
            return "no command"
        return None

    def expected(self, kind: str) -> str:
        return self.expect.get(kind, "succeeded" if kind == "slow" else "failed")


def limits_for(kind: str) -> dict[str, float]:
    """The client's limits in a cell of `kind` (settings overrides): short only on the layer a
    timeout cell faults, patient everywhere else."""
    limits = {
        "proxmox.timeout": PATIENT,
        "deploy.task_timeout": PATIENT,
        "ssh.timeout": PATIENT,
        "deploy.health_timeout": HEALTH_TIMEOUT,
    }
    if kind == "api_timeout":
        limits["proxmox.timeout"] = API_TIMEOUT
    if kind in ("task_timeout", "exec_timeout"):
        limits["deploy.task_timeout"] = limits["ssh.timeout"] = TASK_TIMEOUT
    return limits


def gate_name(row: Row, kind: str) -> str:
    """The gate a timeout cell holds its call at (opened once the operation has ended)."""
    return f"matrix:{cell_id(row, kind)}"


def rules_for(row: Row, kind: str) -> list[FaultRule]:
    """The faults of one cell: one rule, or for `slow` every target of the row made late."""
    if kind != "slow":
        return [rule_for(row, kind)]
    method, path = row.api or (None, None)
    rules = []
    if row.api:
        rules.append(FaultRule(method=method, path=path, delay=SLOW, times=None))
    if row.task:
        rules.append(FaultRule(task=row.task, delay=SLOW, times=None))
    if row.command:
        rules.append(FaultRule(command=row.command, delay=SLOW, times=None))
    return rules


def rule_for(row: Row, kind: str) -> FaultRule:
    """The fault of one (non-slow) cell. A timeout is a call held at the cell's gate: it gets
    no answer until the operation has ended, so the client's limit always fires first."""
    tag = f"injected {kind} at {row.key}"
    method, path = row.api or (None, None)
    gate = gate_name(row, kind)
    if kind == "http_500":
        return FaultRule(method=method, path=path, http_status=500, message=tag, times=None)
    if kind == "api_timeout":
        return FaultRule(method=method, path=path, gate=gate, times=1)
    if kind == "task_failed":
        return FaultRule(task=row.task, task_error=tag)
    if kind == "task_timeout":
        return FaultRule(task=row.task, gate=gate)
    if kind == "exec_failed":
        return FaultRule(command=row.command, exit_status=3, stderr=tag, times=None)
    if kind == "exec_timeout":
        return FaultRule(command=row.command, gate=gate, times=1)
    if kind == "ssh_drop":
        return FaultRule(command=row.command, drop=True, times=1)
    raise ValueError(kind)


def cause_for(row: Row, kind: str) -> str:
    """What the operation's error must say: the real cause, not a generic failure."""
    if kind in ("http_500", "task_failed", "exec_failed"):
        return f"injected {kind} at {row.key}"
    return {
        "api_timeout": f"no answer within {API_TIMEOUT:g}s",
        "task_timeout": f"did not finish within {TASK_TIMEOUT:g}s",
        "exec_timeout": f"timed out after {TASK_TIMEOUT:g}s",
        "ssh_drop": "dropped",
    }.get(kind, "")


STATUS_START = ("POST", "/nodes/*/lxc/*/status/start")
COMPOSE_UP = r"compose .* up"

DEPLOY_ROWS = [
    Row("deploy", "validate", api=("GET", "/cluster/resources")),
    Row("deploy", "place", api=("GET", "/nodes")),
    Row("deploy", "reserve", api=("GET", "/cluster/nextid")),
    # pve2 has no template cached: the step downloads it (a task). Its first call lists the
    # templates on the node (the storages were listed by the place step: read once).
    Row(
        "deploy",
        "template",
        api=("GET", "/nodes/*/storage/*/content"),
        task="download",
        node="pve2",
    ),
    # With an API token, keyctl is set with `pct set` on the node right after the create task.
    Row("deploy", "create", api=("POST", "/nodes/*/lxc"), task="vzcreate", command=r"pct set"),
    Row("deploy", "start", api=STATUS_START, task="vzstart"),
    Row("deploy", "network", api=("GET", "/nodes/*/lxc/*/interfaces")),
    Row("deploy", "docker", command=r"apk add"),
    Row("deploy", "compose", command=r"compose .* pull"),
    Row("deploy", "health", command=r"compose .* ps"),
    Row("deploy", "record", api=("GET", "/nodes/*/lxc/*/status/current")),
    # Through the Docker-ready base (docker_base.py). pve3 starts each of these cells without a
    # base, so the template step builds one: create, start, `apk add`, then POST .../template,
    # whose `vztemplate` worker the step watches (the call itself answers null).
    Row(
        "deploy",
        "template",
        api=("POST", "/nodes/*/lxc/*/template"),
        task="vztemplate",
        command=r"apk add",
        node="pve3",
        title="deploy with base / template, base built",
        base=True,
    ),
    # The base exists now: the create step clones it, then sizes the copy over the API.
    Row(
        "deploy",
        "create",
        api=("POST", "/nodes/*/lxc/*/clone"),
        task="vzclone",
        node="pve3",
        na={
            "exec_failed": "no command (the copy is set up over the API)",
            "exec_timeout": "no command (the copy is set up over the API)",
            "ssh_drop": "no command (the copy is set up over the API)",
        },
        title="deploy with base / create, a clone",
        base=True,
    ),
    Row(
        "deploy",
        "docker",
        command=r"docker info",
        node="pve3",
        title="deploy with base / docker, only waited for",
        base=True,
    ),
]

STOP_FALLBACK = "succeeded"  # a failed clean shutdown falls back to a forced stop
OPERATION_ROWS = [
    Row("start", api=STATUS_START, task="vzstart", command=COMPOSE_UP),
    Row(
        "stop",
        api=("POST", "/nodes/*/lxc/*/status/shutdown"),
        task="vzshutdown",
        command=r"compose .* down",
        expect={
            "http_500": STOP_FALLBACK,
            "api_timeout": STOP_FALLBACK,
            "task_failed": STOP_FALLBACK,
            "exec_failed": STOP_FALLBACK,
            "ssh_drop": STOP_FALLBACK,
        },
        na={
            "task_timeout": "the clean shutdown waits stop_timeout + 30 s, then forces a stop",
            "exec_timeout": "`compose down` has its own 120 s limit, then the CT stops anyway",
        },
    ),
    Row("restart", api=STATUS_START, task="vzstart", command=COMPOSE_UP),
    Row("delete", api=("DELETE", "/nodes/*/lxc/*"), task="vzdestroy"),
    Row("clone", api=("POST", "/nodes/*/lxc/*/clone"), task="vzclone", command=COMPOSE_UP),
    Row("backup", api=("POST", "/nodes/*/vzdump"), task="vzdump"),
    Row("restore", api=("POST", "/nodes/*/lxc"), task="vzrestore", command=COMPOSE_UP),
    Row(
        "update",
        api=("POST", "/nodes/*/lxc/*/snapshot"),
        task="vzsnapshot",
        command=r"compose .* pull",
        expect={k: "rolled_back" for k in EXEC_KINDS},
    ),
]

#: The fault stays on while the undos run, and one more hits the undo itself.
ROLLBACK_ROWS = [
    Row(
        "deploy",
        "compose",
        command=r"compose .* pull",
        undo_fault=FaultRule(task="vzdestroy", task_error="injected undo failure"),
        through_rollback=True,
        title="deploy / compose, then the destroy fails",
    ),
    Row(
        "clone",
        command=COMPOSE_UP,
        undo_fault=FaultRule(task="vzdestroy", task_error="injected undo failure"),
        through_rollback=True,
        title="clone, then the destroy fails",
    ),
    Row(
        "update",
        command=r"compose .* pull",
        undo_fault=FaultRule(task="vzrollback", task_error="injected undo failure"),
        through_rollback=True,
        title="update, then the rollback fails",
    ),
]
ROLLBACK_KINDS = ("exec_failed",)


def cells() -> list[tuple[Row, str]]:
    """Every applicable (row, kind) cell, in table order."""
    out = [(row, kind) for row in DEPLOY_ROWS + OPERATION_ROWS for kind in KINDS]
    out = [(row, kind) for row, kind in out if row.reason_na(kind) is None]
    out += [(row, kind) for row in ROLLBACK_ROWS for kind in ROLLBACK_KINDS]
    return out


def cell_id(row: Row, kind: str) -> str:
    return f"{row.key}:{kind}"


def with_expectations(row: Row, **expect: str) -> Row:
    return replace(row, expect={**row.expect, **expect})


# --- the document -------------------------------------------------------------------------------

HEADER = """# Reliability: the fault matrix

GENERATED by `tests/reliability/test_fault_matrix.py` from the outcomes it observed; do not
edit. To regenerate it:

    PROXIMITY_REGEN_DOCS=1 .venv/bin/python -m pytest tests/reliability/test_fault_matrix.py

Each cell injects one fault into the simulator (over HTTPS and SSH, time scale 0) while a real
`Services` runs the operation, then checks the outcome named in the cell and, for every cell:
the operation ended (`failed`, `rolled_back` or `succeeded`) with the real cause in its error, no
CT tagged `proximity` is unknown to the database, every app row agrees with its CT as of the next
status refresh (or is `error` with a reason), no CT is left locked, no temporary snapshot is left,
no operation is left running.

Fault kinds: **HTTP 500** an API call of that step answers 500 (GETs are retried twice first);
**API timeout** an API call gets no answer until the operation has ended (the client gives up
after its {api}s limit), then Proxmox carries it out; **task fails** the Proxmox task ends
`TASK ERROR`; **task timeout** the task does not end (it runs past the {task}s task limit and is
stopped); **command fails** a command in the CT (`pct exec`, or `pct` on the node) exits
non-zero; **command timeout** it does not end (past the {task}s limit its channel is closed);
**SSH drops** the connection is cut mid-command; **slow answers** the step's API call, task and
command each answer {slow}s late: it must succeed. A timeout is an event, not a race: the call
is held until the test lets it go, so no outcome depends on the machine's speed (the other limits
are {patient:g}s). A deploy step's fault lasts while that step runs; an operation's lasts for the
whole operation. Every cell also checks that the fault did fire, and that the error names it.

Outcomes: `failed · rolled back (...)` says what the undos removed; `app error` means the app stays
listed as `error` with the reason (its CT kept: after a failed start, the CT runs but the app in
it did not come up); `app stopped` / `app running` is the CT's real status after the failure
(when Proxmox acted after our timeout, as the next refresh found it); `n/a` names why the kind
cannot happen there.
"""


def render(results: dict[str, str]) -> str:
    """The whole document from `{cell_id: outcome}` (cells missing from `results` are an error)."""
    head = HEADER.format(api=API_TIMEOUT, task=TASK_TIMEOUT, slow=SLOW, patient=PATIENT)
    lines = [head.rstrip(), ""]
    for title, rows in (("Deploy steps", DEPLOY_ROWS), ("Operations", OPERATION_ROWS)):
        lines += [f"## {title}", ""]
        lines.append("| | " + " | ".join(KINDS.values()) + " |")
        lines.append("|---" * (len(KINDS) + 1) + "|")
        for row in rows:
            cellsx = []
            for kind in KINDS:
                why = row.reason_na(kind)
                cellsx.append(f"n/a: {why}" if why else results[cell_id(row, kind)])
            lines.append(f"| **{row.label}** | " + " | ".join(cellsx) + " |")
        lines.append("")
    lines += ["## Rollback under fault", ""]
    lines.append(
        "The first fault stays on through the rollback and a second one breaks an undo: the app "
        "must stay\nlisted (`error`, with both causes) rather than leave an orphan CT or throw "
        "away the update's snapshot."
    )
    lines += ["", "| | outcome |", "|---|---|"]
    for row in ROLLBACK_ROWS:
        for kind in ROLLBACK_KINDS:
            lines.append(f"| **{row.label}** | {results[cell_id(row, kind)]} |")
    lines.append("")
    return "\n".join(lines)
