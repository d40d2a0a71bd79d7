"""`ProxmoxClient`: the async, typed face of the Proxmox VE API.

Every method is a coroutine that runs one proxmoxer call in a worker thread (see `session.py`),
so the event loop never blocks. Results are the dataclasses of `models.py`; failures are the
`ProxmoxError` family of `proximity_tui/errors.py`, keeping PVE's message and naming the call.
Methods returning a UPID start a task: await it with `wait_task` (see `tasks.py`).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from proximity_tui.config import ProxmoxSettings
from proximity_tui.errors import ProxmoxError, ProxmoxParameterError, ValidationError
from proximity_tui.proxmox import once
from proximity_tui.proxmox.cluster import ClusterQueries
from proximity_tui.proxmox.coerce import as_int, check_vmid, to_pve_params
from proximity_tui.proxmox.models import (
    Appliance,
    CtConfig,
    Guest,
    Interface,
    Node,
    NodeStatus,
    RrdPoint,
    Snapshot,
    Storage,
    TaskStatus,
    Upid,
    Version,
    Volume,
)
from proximity_tui.proxmox.session import ApiSession
from proximity_tui.proxmox.tasks import LogCallback, log_rows, wait_task
from proximity_tui.proxmox.tls import TrustPolicy
from proximity_tui.proxmox.tls import fetch_fingerprint as _fetch_fingerprint

CT_ACTIONS = ("start", "stop", "shutdown", "reboot", "suspend", "resume")


class ProxmoxClient(ClusterQueries):
    """Async facade over proxmoxer. Build it with `from_settings`; no I/O happens until a call."""

    def __init__(self, session: ApiSession) -> None:
        self._api = session
        #: Whether `.../lxc/{vmid}/interfaces` exists: added by pve-container commit 3d56c9c
        #: (Nov 2023, PVE 8.1); PVE 7 answers 501. Set from the version at `connect()`, and to
        #: False if the server says so anyway; None until known (then it is tried).
        self.interfaces_supported: bool | None = None
        #: The last `cluster_resources` answer: (type, its rows as decoded JSON, each row's guest,
        #: None for a row that is no guest).
        self._last_listing: tuple[str, list[Any], tuple[Guest | None, ...]] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: ProxmoxSettings,
        *,
        retries: int = 2,
        backoff: float = 0.1,
        max_workers: int = 4,
    ) -> ProxmoxClient:
        policy = TrustPolicy.from_settings(
            fingerprint=settings.fingerprint,
            ca_file=settings.ca_file,
            verify_ssl=settings.verify_ssl,
        )
        return cls(
            ApiSession(
                host=settings.host,
                port=settings.port,
                user=settings.user,
                password=settings.password,
                token_name=settings.token_name,
                token_value=settings.token_value,
                policy=policy,
                timeout=settings.timeout,
                retries=retries,
                backoff=backoff,
                max_workers=max_workers,
            )
        )

    # --- identity and bookkeeping ---

    @property
    def host(self) -> str:
        return self._api.host

    @property
    def port(self) -> int:
        return self._api.port

    @property
    def timeout(self) -> float:
        """Seconds one API call may take (`[proxmox] timeout`)."""
        return self._api.timeout

    @property
    def insecure(self) -> bool:
        """True when the user turned certificate verification off (the UI must show it)."""
        return self._api.policy.mode == "insecure"

    @property
    def trust_mode(self) -> str:
        """`pinned`, `ca`, `system` or `insecure`."""
        return self._api.policy.mode

    @property
    def auth_kind(self) -> str:
        """`token` or `ticket`."""
        return self._api.auth_kind

    @property
    def call_count(self) -> int:
        """HTTP requests this client sent (answered ones, logins included), for the figures."""
        return self._api.call_count

    async def connect(self) -> Version:
        """Log in (ticket auth) and read the version: the cheapest proof that all is well."""
        await self._api.login()
        version = await self.version()
        self.interfaces_supported = version_at_least(version.version, (8, 1))
        return version

    def close(self) -> None:
        self._api.close()

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> ProxmoxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    async def request(
        self, method: str, *path: str | int, timeout: float | None = None, **params: Any
    ) -> Any:
        """Any API call, for what the typed methods do not cover (params go through as given)."""
        sent = to_pve_params(params)
        return await once.answer(
            method, path, sent, partial(self._api.request, method, path, sent, timeout=timeout)
        )

    async def _get(self, *path: str | int, **params: Any) -> Any:
        sent = to_pve_params(params)
        return await once.answer("GET", path, sent, partial(self._api.request, "GET", path, sent))

    async def _post(self, *path: str | int, **params: Any) -> Any:
        return await self._api.request("POST", path, to_pve_params(params))

    # --- cluster and nodes ---

    async def version(self) -> Version:
        return Version.from_api(await self._get("version") or {})

    async def nodes(self) -> list[Node]:
        return sorted(
            (Node.from_api(d) for d in await self._get("nodes") or []), key=lambda n: n.name
        )

    async def node_status(self, node: str) -> NodeStatus:
        return NodeStatus.from_api(node, await self._get("nodes", node, "status") or {})

    async def cluster_resources(self, type: str = "vm") -> list[Guest]:
        """Every guest of the cluster in one call: what the status monitor asks each tick.

        pvestatd refreshes what this lists every 10 s and the monitor asks every 3 s, so most
        answers equal the last one, and in the others every stopped guest's row does: a row
        equal to the last answer's row at the same place hands out that row's guest (frozen)
        again instead of decoding it anew. The tick then sees the very figures it kept for such
        a guest (an identity check, not a comparison of cold values), and the guests of
        unchanged rows are neither built nor freed every round. A row that moved (or another
        `type`) is decoded anew; comparing it stops at its first differing value."""
        rows = await self._get("cluster", "resources", type=type) or []
        last = self._last_listing
        if last is not None and last[0] == type and last[1] == rows:
            return [g for g in last[2] if g is not None]
        before, made = (last[1], last[2]) if last is not None and last[0] == type else ((), ())
        known = len(before)
        decoded: list[Guest | None] = []
        for i, row in enumerate(rows):
            if i < known and before[i] == row:
                decoded.append(made[i])
            elif row.get("type") in ("lxc", "qemu"):
                decoded.append(Guest.from_api(row))
            else:
                decoded.append(None)
        self._last_listing = (type, rows, tuple(decoded))
        return [g for g in decoded if g is not None]

    async def find_ct(self, vmid: int) -> Guest | None:
        vmid = check_vmid(vmid)
        for guest in await self.cluster_resources():
            if guest.vmid == vmid and guest.type == "lxc":
                return guest
        return None

    async def next_vmid(self) -> int:
        return as_int(await self._get("cluster", "nextid"))

    async def vmid_free(self, vmid: int) -> bool:
        """Whether no guest uses `vmid` (PVE answers 400 `VM N already exists` otherwise)."""
        vmid = check_vmid(vmid)
        try:
            await self._get("cluster", "nextid", vmid=vmid)
        except ProxmoxParameterError as exc:
            if "vmid" in exc.errors or "already exists" in exc.pve_message:
                return False
            raise
        return True

    # --- storage, templates, appliances ---

    async def storages(self, node: str, content: str | None = None) -> list[Storage]:
        rows = await self._get("nodes", node, "storage", content=content) or []
        return [Storage.from_api(r) for r in rows]

    async def storage_content(
        self, node: str, storage: str, content: str | None = None, *, vmid: int | None = None
    ) -> list[Volume]:
        rows = (
            await self._get(
                "nodes", node, "storage", storage, "content", content=content, vmid=vmid
            )
            or []
        )
        return [Volume.from_api(r) for r in rows]

    async def backups(self, node: str, storage: str, vmid: int | None = None) -> list[Volume]:
        """Backups on a storage, newest first (optionally of one guest)."""
        vols = await self.storage_content(node, storage, "backup", vmid=vmid)
        if vmid is not None:  # some storages ignore the filter
            vols = [v for v in vols if v.vmid == vmid]
        return sorted(vols, key=lambda v: (v.ctime, v.volid), reverse=True)

    async def appliances(self, node: str) -> list[Appliance]:
        return [Appliance.from_api(r) for r in await self._get("nodes", node, "aplinfo") or []]

    async def download_template(self, node: str, storage: str, template: str) -> str:
        return str(await self._post("nodes", node, "aplinfo", storage=storage, template=template))

    async def delete_volume(self, node: str, storage: str, volid: str) -> str | None:
        """Delete a volume (a backup, a template). Newer PVE answers a UPID, older ones null."""
        res = await self._api.request(
            "DELETE", ("nodes", node, "storage", storage, "content", volid)
        )
        return str(res) if res else None

    # --- containers ---

    async def create_ct(self, node: str, **params: Any) -> str:
        """`POST /nodes/{node}/lxc`; params as PVE names them (`vmid`, `ostemplate`, ...).

        Booleans are sent as 1/0. Hyphenated names go through a dict: `**{"ssh-public-keys": k}`.
        """
        params["vmid"] = check_vmid(params.get("vmid"))
        return str(await self._post("nodes", node, "lxc", **params))

    async def ct_config(self, node: str, vmid: int) -> CtConfig:
        data = await self._get("nodes", node, "lxc", check_vmid(vmid), "config")
        return CtConfig.from_api(data or {})

    async def set_ct_config(self, node: str, vmid: int, **changes: Any) -> None:
        if not changes:
            raise ValidationError("set_ct_config needs at least one change")
        await self._api.request(
            "PUT", ("nodes", node, "lxc", check_vmid(vmid), "config"), to_pve_params(changes)
        )

    async def ct_status(self, node: str, vmid: int) -> Guest:
        vmid = check_vmid(vmid)
        data = await self._get("nodes", node, "lxc", vmid, "status", "current") or {}
        data.setdefault("vmid", vmid)
        return Guest.from_api(data, node=node, type="lxc")

    async def ct_action(self, node: str, vmid: int, action: str, **opts: Any) -> str:
        """start | stop | shutdown | reboot (| suspend | resume); returns the task's UPID."""
        if action not in CT_ACTIONS:
            raise ValidationError(
                f"unknown container action {action!r} (known: {', '.join(CT_ACTIONS)})",
                field="action",
            )
        return str(
            await self._post("nodes", node, "lxc", check_vmid(vmid), "status", action, **opts)
        )

    async def delete_ct(
        self, node: str, vmid: int, purge: bool = True, force: bool = False, **opts: Any
    ) -> str:
        params = to_pve_params({"purge": purge, "force": force, **opts})
        return str(
            await self._api.request("DELETE", ("nodes", node, "lxc", check_vmid(vmid)), params)
        )

    async def ct_interfaces(self, node: str, vmid: int) -> list[Interface] | None:
        """The CT's interfaces with their addresses; None while it is stopped."""
        try:
            rows = await self._get("nodes", node, "lxc", check_vmid(vmid), "interfaces")
        except ProxmoxError as exc:
            # PVE answers null for a stopped CT; some versions refuse with "not running" instead.
            if exc.status == 500 and "not running" in exc.pve_message:
                return None
            raise
        return None if rows is None else [Interface.from_api(r) for r in rows]

    async def ct_address(self, node: str, vmid: int, interface: str = "eth0") -> str | None:
        """The IPv4 address of eth0, or None while stopped or before DHCP answered."""
        for iface in await self.ct_interfaces(node, vmid) or []:
            if iface.name == interface:
                return iface.ipv4
        return None

    async def clone_ct(
        self,
        node: str,
        vmid: int,
        newid: int,
        hostname: str,
        snapname: str | None = None,
        full: bool = True,
        target: str | None = None,
        **opts: Any,
    ) -> str:
        return str(
            await self._post(
                "nodes",
                node,
                "lxc",
                check_vmid(vmid),
                "clone",
                newid=check_vmid(newid),
                hostname=hostname,
                snapname=snapname,
                full=full,
                target=target,
                **opts,
            )
        )

    async def template_ct(self, node: str, vmid: int) -> None:
        """`POST .../template`: PVE answers null and converts in a `vztemplate` worker."""
        await self._post("nodes", node, "lxc", check_vmid(vmid), "template")

    async def resize_ct(self, node: str, vmid: int, disk: str, size: str) -> str:
        """`PUT .../resize` (grow only: `8G` absolute, `+2G` relative); returns the UPID."""
        return str(
            await self._api.request(
                "PUT",
                ("nodes", node, "lxc", check_vmid(vmid), "resize"),
                {"disk": disk, "size": size},
            )
        )

    async def snapshots(self, node: str, vmid: int) -> list[Snapshot]:
        """Snapshots, without PVE's pseudo-entry `current`."""
        rows = await self._get("nodes", node, "lxc", check_vmid(vmid), "snapshot") or []
        return [s for s in map(Snapshot.from_api, rows) if not s.is_current]

    async def create_snapshot(
        self, node: str, vmid: int, snapname: str, description: str | None = None
    ) -> str:
        return str(
            await self._post(
                "nodes",
                node,
                "lxc",
                check_vmid(vmid),
                "snapshot",
                snapname=snapname,
                description=description,
            )
        )

    async def delete_snapshot(
        self, node: str, vmid: int, snapname: str, force: bool = False
    ) -> str:
        return str(
            await self._api.request(
                "DELETE",
                ("nodes", node, "lxc", check_vmid(vmid), "snapshot", snapname),
                to_pve_params({"force": force or None}),
            )
        )

    async def rollback_snapshot(self, node: str, vmid: int, snapname: str, **opts: Any) -> str:
        return str(
            await self._post(
                "nodes", node, "lxc", check_vmid(vmid), "snapshot", snapname, "rollback", **opts
            )
        )

    async def vzdump(
        self,
        node: str,
        vmid: int,
        storage: str,
        mode: str = "snapshot",
        compress: str = "zstd",
        **opts: Any,
    ) -> str:
        return str(
            await self._post(
                "nodes",
                node,
                "vzdump",
                vmid=check_vmid(vmid),
                storage=storage,
                mode=mode,
                compress=compress,
                **opts,
            )
        )

    async def restore_ct(
        self, node: str, vmid: int, volid: str, storage: str, force: bool = True, **opts: Any
    ) -> str:
        """Restore a backup over (or as) CT `vmid`: `POST /nodes/{node}/lxc` with `restore=1`."""
        return str(
            await self._post(
                "nodes",
                node,
                "lxc",
                vmid=check_vmid(vmid),
                ostemplate=volid,
                storage=storage,
                restore=True,
                force=force,
                **opts,
            )
        )

    async def rrddata(
        self, node: str, vmid: int, timeframe: str = "hour", cf: str = "AVERAGE"
    ) -> list[RrdPoint]:
        rows = (
            await self._get(
                "nodes", node, "lxc", check_vmid(vmid), "rrddata", timeframe=timeframe, cf=cf
            )
            or []
        )
        return [RrdPoint.from_api(r) for r in rows]

    # --- tasks ---

    async def task_status(self, upid: str) -> TaskStatus:
        node = Upid.parse(upid).node
        return TaskStatus.from_api(upid, await self._get("nodes", node, "tasks", upid, "status"))

    async def task_log_entries(
        self, upid: str, start: int = 0, limit: int = 500
    ) -> list[tuple[int, str]]:
        """`(line number, text)` after the first `start` lines (PVE numbers lines from 1)."""
        node = Upid.parse(upid).node
        rows = await self._get("nodes", node, "tasks", upid, "log", start=start, limit=limit)
        return log_rows(rows)

    async def task_log(self, upid: str, start: int = 0, limit: int = 500) -> list[str]:
        return [text for _, text in await self.task_log_entries(upid, start, limit)]

    async def stop_task(self, upid: str) -> None:
        node = Upid.parse(upid).node
        await self._api.request("DELETE", ("nodes", node, "tasks", upid))

    async def wait_task(
        self,
        upid: str,
        timeout: float = 600.0,
        on_log: LogCallback | None = None,
        cancel: asyncio.Event | None = None,
        **kwargs: Any,
    ) -> TaskStatus:
        return await wait_task(self, upid, timeout=timeout, on_log=on_log, cancel=cancel, **kwargs)


def version_at_least(version: str, wanted: tuple[int, ...]) -> bool | None:
    """`"8.4.1" >= (8, 1)`; None when the text is not a version."""
    try:
        parts = tuple(int(p) for p in version.split("-", 1)[0].split(".")[: len(wanted)])
    except ValueError:
        return None
    return parts >= wanted if parts else None


async def fetch_fingerprint(host: str, port: int = 8006, *, timeout: float = 5.0) -> str:
    """The API certificate's SHA-256 fingerprint (`AA:BB:...`), for explicit trust on first use."""
    return await _fetch_fingerprint(host, port, timeout=timeout)
