"""`Simulator`: the whole simulated cluster in a background thread with its own event loop.

    with Simulator(nodes=3, time_scale=0) as sim:
        info = sim.info                      # URLs, credentials, fingerprints, key paths
        sim.client_settings()                # [proxmox]/[ssh] settings that connect to it
        sim.call(lambda: sim.state.find_ct(102).status)   # inspect state on the sim's loop

All state lives on the simulator's loop; `call()` runs a function there and returns its result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import logging
import os
import secrets
import shutil
import ssl
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvesim import stats as sim_stats
from pvesim.api import ApiServer, ApiStats
from pvesim.auth import Authenticator
from pvesim.build import build_cluster
from pvesim.certs import make_certificates
from pvesim.clock import Clock
from pvesim.control import Control
from pvesim.faults import FaultSet
from pvesim.profiles import parse_profiles
from pvesim.state import ClusterState

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
USER = "root@pam"
TOKEN_NAME = "proximity"
#: Real seconds between random-walk rounds when `/cluster/resources` shows live figures.
LIVE_WALK_SECONDS = 1.0


@dataclass
class SimInfo:
    host: str
    api_port: int
    api_url: str
    fingerprint: str
    ca_pem_path: str
    user: str
    password: str
    token_id: str
    token_name: str
    token_secret: str
    ssh_user: str
    ssh_ports: dict[str, int]
    ssh_key_path: str
    ssh_host_key_fingerprint: str
    nodes: list[str]
    workdir: str = ""
    control_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def client_settings(self, auth: str = "token") -> dict[str, dict[str, Any]]:
        """The `[proxmox]` and `[ssh]` settings a client needs to reach this simulator.

        Shaped like Proximity's config.toml sections; the caller writes them (the simulator knows
        nothing of the product that uses it).
        """
        if auth not in ("token", "password"):
            raise ValueError("auth is 'token' or 'password'")
        proxmox: dict[str, Any] = {
            "host": self.host,
            "port": self.api_port,
            "user": self.user,
            "fingerprint": self.fingerprint,
            "verify_ssl": True,
        }
        if auth == "token":
            proxmox.update(token_name=self.token_name, token_value=self.token_secret)
        else:
            proxmox["password"] = self.password
        data: dict[str, dict[str, Any]] = {"proxmox": proxmox}
        ssh: dict[str, Any] = {"mode": "ssh", "user": self.ssh_user}
        if self.ssh_key_path:
            ssh["key"] = self.ssh_key_path
        if self.ssh_host_key_fingerprint:
            ssh["fingerprint"] = self.ssh_host_key_fingerprint
        if self.ssh_ports:
            ssh["nodes"] = {n: f"{self.host}:{p}" for n, p in self.ssh_ports.items()}
        data["ssh"] = ssh
        return data


class Simulator:
    def __init__(
        self,
        nodes: int = 3,
        containers: int = 0,
        time_scale: float = 1.0,
        seed: int = 0,
        api_port: int = 0,
        ssh_port: int = 0,
        state_file: str | os.PathLike[str] | None = None,
        faults: FaultSet | None = None,
        workdir: str | os.PathLike[str] | None = None,
        preexisting: bool = True,
        clock: Clock | None = None,
        profiles: Iterable[str] | str | None = None,
    ) -> None:
        #: How the hosts differ from a kind default (`profiles.py`); ValueError if unknown.
        self.profile = parse_profiles(profiles)
        self.nodes_count = nodes
        self.containers = containers
        self.seed = seed
        self.api_port = api_port
        self.ssh_port = ssh_port
        self.state_file = Path(state_file) if state_file else None
        self.faults = faults if faults is not None else FaultSet(seed=seed)
        self.clock = clock if clock is not None else Clock(time_scale)
        self.preexisting = preexisting
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else None
        self.stats = ApiStats()
        self.state: ClusterState | None = None
        self.info: SimInfo | None = None
        self.password = secrets.token_urlsafe(18)
        self.token_secret = str(uuid.uuid4())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._api: ApiServer | None = None
        self._ssh: Any = None
        self._walker: asyncio.Task | None = None
        self._stopped = False

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> SimInfo:
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="proximity-sim-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o700)
        ready: concurrent.futures.Future[SimInfo] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="proximity-sim", daemon=True
        )
        self._thread.start()
        try:
            self.info = ready.result(timeout)
        except BaseException:
            self.stop()
            raise
        return self.info

    def _run(self, ready: concurrent.futures.Future[SimInfo]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            info = loop.run_until_complete(self._startup())
        except BaseException as exc:
            ready.set_exception(exc)
            loop.close()
            return
        ready.set_result(info)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self) -> SimInfo:
        assert self.workdir is not None
        if self.state_file is not None and self.state_file.exists():
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            self.state = ClusterState.from_dict(data, self.clock, self.faults, self.profile)
        else:
            self.state = build_cluster(
                self.clock,
                self.faults,
                nodes=self.nodes_count,
                containers=self.containers,
                seed=self.seed,
                preexisting=self.preexisting,
                profile=self.profile,
            )
        node_names = list(self.state.nodes)
        certs = make_certificates(self.workdir / "tls", node_names)
        self.state.ssl_fingerprint = certs.fingerprint
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(certs.cert_path, certs.key_path)
        token_id = f"{USER}!{TOKEN_NAME}"
        access = self.state.access
        # privsep-token: what the GUI makes by default, a token holding only its own grants
        # (none yet); else a token with its user's (root's) full power
        access.add_token(USER, TOKEN_NAME, privsep=int(self.profile.privsep_token))
        access.secrets[token_id] = self.token_secret
        auth = Authenticator(
            self.clock,
            user=USER,
            password=self.password,
            tokens=access.secrets,
            passwords=access.password_ok,
        )
        control = Control(self.token_secret, self.faults, self.stats)
        self._api = ApiServer(self.state, auth, self.faults, self.stats, control=control)
        control.api = self._api
        port = await self._api.start(HOST, self.api_port, ctx)
        try:
            ssh = await self._start_ssh(node_names)
        except BaseException:
            await self._api.stop()
            raise
        sim_stats.tick(self.state, 0)
        self._walker = asyncio.get_running_loop().create_task(self._walk())
        return SimInfo(
            host=HOST,
            api_port=port,
            api_url=f"https://{HOST}:{port}",
            fingerprint=certs.fingerprint,
            ca_pem_path=str(certs.ca_path),
            user=USER,
            password=self.password,
            token_id=token_id,
            token_name=TOKEN_NAME,
            token_secret=self.token_secret,
            ssh_user="root",
            ssh_ports=ssh.get("ports", {}),
            ssh_key_path=ssh.get("key_path", ""),
            ssh_host_key_fingerprint=ssh.get("host_key_fingerprint", ""),
            nodes=node_names,
            workdir=str(self.workdir),
            control_url=f"https://{HOST}:{port}/_sim",
            extra={"profiles": list(self.profile.names)},
        )

    async def _start_ssh(self, node_names: list[str]) -> dict[str, Any]:
        """One SSH server per node (`pct` and host commands), see `ssh.py`."""
        from pvesim.ssh import start_ssh_servers

        assert self.workdir is not None
        self._ssh = await start_ssh_servers(
            self.state, self.faults, node_names, first_port=self.ssh_port, workdir=self.workdir
        )
        return {
            "ports": dict(self._ssh.ports),
            "key_path": str(self._ssh.client_key_path),
            "host_key_fingerprint": self._ssh.host_key_fingerprint,
        }

    async def _walk(self) -> None:
        """pvestatd: move the figures every 10 simulated seconds (or every second when live)."""
        assert self.state is not None
        while True:
            interval = self.clock.scaled(self.state.statd_interval)
            if self.state.statd_live():
                interval = LIVE_WALK_SECONDS
            await asyncio.sleep(interval)
            sim_stats.tick(self.state, self.state.statd_interval)

    def stop(self) -> None:
        """Stop both servers, save the state file if one was given, and end the thread."""
        if self._stopped:
            return
        self._stopped = True
        loop = self._loop
        if loop is not None and self._thread is not None and loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            try:
                fut.result(15)
            except Exception:
                log.exception("simulator shutdown failed")
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(15)
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    async def _shutdown(self) -> None:
        if self._walker is not None:
            self._walker.cancel()
        if self._ssh is not None:
            with contextlib.suppress(Exception):
                await self._ssh.stop()
        if self._api is not None:
            await self._api.stop()
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        for t in pending:
            t.cancel()
        # interrupted tasks undo their partial work before the state is saved
        await asyncio.gather(*pending, return_exceptions=True)
        if self.state is not None and self.state_file is not None:
            self.save_state_now()

    def save_state_now(self) -> None:
        """Write the state file (call on the sim loop, or through `call()`)."""
        assert self.state is not None and self.state_file is not None
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        # 0600: the containers' files (compose files with app passwords) are in it
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.state.to_dict(), fh)
        os.replace(tmp, self.state_file)

    def __enter__(self) -> Simulator:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- from other threads ---------------------------------------------------------------------

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0, **kwargs: Any) -> Any:
        """Run `fn(*args)` on the simulator's loop (awaiting it if it is async); its result."""
        loop = self._loop
        if loop is None or not loop.is_running():
            raise RuntimeError("simulator is not running")

        async def run() -> Any:
            result = fn(*args, **kwargs)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    def set_statd_interval(self, seconds: float) -> None:
        """pvestatd's period in simulated seconds, from now on: the next round comes one period
        from now (not at the end of the wait begun with the old period)."""

        async def apply() -> None:
            assert self.state is not None
            self.state.statd_interval = seconds
            if self._walker is not None:
                self._walker.cancel()
            self._walker = asyncio.get_running_loop().create_task(self._walk())

        self.call(apply)

    def set_offline(self, offline: bool = True, *, mode: str = "refuse") -> None:
        """Make the API stop answering: `refuse` closes the listener, `drop` cuts every request."""
        if mode not in ("refuse", "drop"):
            raise ValueError("mode is 'refuse' or 'drop'")
        api = self._api
        assert api is not None

        async def apply() -> None:
            if mode == "drop" or not offline:
                api.offline = offline if mode == "drop" else False
            if mode == "refuse" or not offline:
                await api.refuse(offline)

        self.call(apply)

    def set_node_online(self, name: str, online: bool = True) -> None:
        """Take one node out of the cluster's membership (or back): listed `offline`, its calls
        answered 595 (model.Node.online); the rest of the cluster answers as before."""
        state = self.state
        assert state is not None
        self.call(lambda: setattr(state.nodes[name], "online", online))

    def client_settings(self, auth: str = "token") -> dict[str, dict[str, Any]]:
        """The `[proxmox]` and `[ssh]` settings a client needs to reach this simulator
        (`SimInfo.client_settings`)."""
        assert self.info is not None
        return self.info.client_settings(auth)
