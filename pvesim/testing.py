"""The simulator for tests and benchmarks: in this process, in its own process, or as a fixture.

    with running(nodes=3, time_scale=0) as sim:          # a thread of this process
        sim.faults.add(FaultRule(command="apk add", delay=2))

    with SimProcess(time_scale=0) as proc:                # `python -m pvesim` in a subprocess
        proc.info.api_url, proc.client_settings()
        proc.add_faults({"path": "/nodes", "http_status": 500})

    sim = simulator_fixture(nodes=3, time_scale=0, seed=11)   # in a conftest.py: a fixture

The subprocess runner is for what must not share this process: the CPU and memory a benchmark
reads, a test that kills or signals the client, the command line as a user runs it. `command`
runs another front end of the same simulator (`proximity-tui sim`); its options are the same.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pvesim.server import SimInfo, Simulator


@contextlib.contextmanager
def running(**options: Any) -> Iterator[Simulator]:
    """A started `Simulator(**options)` in a thread of this process; stopped on exit."""
    sim = Simulator(**options)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def reset(sim: Simulator) -> None:
    """Between tests sharing one simulator: no fault rules, the API reachable again, every node
    online."""
    sim.faults.clear()
    sim.set_offline(False, mode="drop")
    for name in list(sim.state.nodes) if sim.state is not None else []:
        sim.set_node_online(name)


def simulator_fixture(*, scope: str = "module", **options: Any) -> Callable[..., Any]:
    """A pytest fixture (assign it to a name in a conftest) yielding a started simulator, one per
    `scope`. Fault rules and the offline switch are reset when it ends (`reset` between tests)."""
    import pytest  # only when a test suite asks: the simulator itself needs no pytest

    @pytest.fixture(scope=scope)
    def fixture() -> Iterator[Simulator]:
        with running(**options) as sim:
            yield sim

    return fixture


class Control:
    """Calls to a running simulator's control endpoint (`/_sim/...`, see control.py), for a
    simulator this process did not start (a subprocess, the demo's): its control URL, the
    session's token secret and its CA certificate (trusted exactly; it names 127.0.0.1 by IP)."""

    def __init__(self, control_url: str, secret: str, ca_pem_path: str | os.PathLike[str]) -> None:
        if not control_url.startswith("https://"):
            raise ValueError(f"not the simulator's HTTPS control endpoint: {control_url}")
        self.url = control_url.rstrip("/")
        self._secret = secret
        self._context = ssl.create_default_context(cafile=str(ca_pem_path))
        self._context.check_hostname = False

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        """`method /_sim/<path>`; the JSON answer."""
        request = urllib.request.Request(  # noqa: S310 - https only, checked above
            f"{self.url}/{path.lstrip('/')}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": f"Bearer {self._secret}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, context=self._context, timeout=30) as answer:  # noqa: S310
            return json.loads(answer.read() or b"null")

    def gate(self, name: str) -> dict[str, Any]:
        """A gate's counts (`arrived`, `passed`, `finished`, `open`); zeros before first use."""
        default = {"open": False, "arrived": 0, "passed": 0, "finished": 0}
        return self("GET", "gates").get(name, default)

    def open_gate(self, name: str) -> None:
        self("POST", f"gates/{name}", {"open": True})


class SimProcess:
    """The simulator in its own process, ready once it printed its JSON line (`info`).

    `args` are extra command-line options; stdout is read for the one JSON line, stderr goes to
    `workdir/sim-stderr.txt` (a file: a chatty simulator must never block on a full pipe)."""

    def __init__(
        self,
        *args: str,
        nodes: int | None = None,
        containers: int | None = None,
        time_scale: float = 0.0,
        seed: int | None = None,
        command: Sequence[str] | None = None,
        workdir: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.command = list(command or [sys.executable, "-m", "pvesim"])
        options = {"--nodes": nodes, "--containers": containers, "--seed": seed}
        self.args = [f"--time-scale={time_scale}"]
        self.args += [f"{k}={v}" for k, v in options.items() if v is not None]
        self.args += list(args)
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="pvesim-proc-"))
        self._env = env
        self._cwd = cwd
        self.proc: subprocess.Popen[str] | None = None
        self.info: SimInfo | None = None
        self._control: Control | None = None

    @property
    def stderr_path(self) -> Path:
        return self.workdir / "sim-stderr.txt"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> SimInfo:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.stderr_path.open("w") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                [*self.command, *self.args],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=self._env,
                cwd=self._cwd,
            )
        line = self._first_line(timeout)
        if not line.strip():
            if self.proc.poll() is None:
                self.proc.kill()  # no line in time: its stderr says how far it got
            self.proc.wait(10)
            detail = self.stderr_path.read_text(errors="replace").strip()[-800:]
            self.stop()
            raise RuntimeError(f"the simulator did not start: {detail or 'no output'}")
        self.info = SimInfo(**json.loads(line))
        return self.info

    def _first_line(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return ""
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.5))
            if ready:  # the simulator writes its line whole, then flushes
                return self.proc.stdout.readline()
            if self.proc.poll() is not None:
                return ""

    def client_settings(self, auth: str = "token") -> dict[str, dict[str, Any]]:
        assert self.info is not None
        return self.info.client_settings(auth)

    # --- the control endpoint (faults, offline, request counters) -----------------------------

    @property
    def endpoint(self) -> Control:
        """The control endpoint's client (faults, gates, offline, request counters)."""
        assert self.info is not None
        if self._control is None:
            self._control = Control(
                self.info.control_url, self.info.token_secret, self.info.ca_pem_path
            )
        return self._control

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """`method /_sim/<path>` with the session's token secret; the JSON answer."""
        return self.endpoint(method, path, body)

    def add_faults(self, *rules: dict[str, Any]) -> list[int]:
        """Fault rules as `FaultRule` fields (see pvesim/faults.py); their ids."""
        return self.control("POST", "faults", list(rules))["ids"]

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def set_offline(self, offline: bool = True) -> None:
        self.control("POST", "offline", {"offline": offline})

    def stats(self) -> dict[str, Any]:
        """`{"total": N, "calls": {"GET /cluster/resources": n, ...}}` since the last reset."""
        return self.control("GET", "stats")

    def reset_stats(self) -> None:
        self.control("DELETE", "stats")

    # --- stopping ---------------------------------------------------------------------------

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (the simulator saves its state and exits 0), SIGKILL if it does not; the exit
        status. The work directory goes too when this runner made it."""
        status = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            status = self.proc.returncode
            if self.proc.stdout is not None:
                self.proc.stdout.close()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return status

    def __enter__(self) -> SimProcess:
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
