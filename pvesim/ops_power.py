"""Start, stop, shutdown, reboot and destroy a container: the checks PVE makes before answering,
and the tasks that follow. `ct_action()` is the one entry the SSH side (`pct`) uses."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from pvesim.errors import PveError, TaskError, param_error
from pvesim.model import Guest, Usage
from pvesim.ops_base import OpsBase, parse_features
from pvesim.ops_template import refuse_template_start
from pvesim.tasks import Task

#: Simulated seconds each power task takes, and until DHCP hands out an address.
START_SECONDS, STOP_SECONDS, SHUTDOWN_SECONDS, DHCP_SECONDS = 1.5, 0.8, 3.0, 2.0

ACTIONS = ("start", "stop", "shutdown", "reboot", "destroy")


class PowerOps(OpsBase):
    async def ct_action(
        self, node: str, vmid: int, action: str, user: str = "root@pam", **opts: Any
    ) -> Task:
        """Run `action` (one of `ACTIONS`) on CT `vmid` of `node`; returns the started task.

        Raises `PveError` for what PVE refuses synchronously (not running, locked, ...).
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        method = getattr(self, f"{action}_ct")
        return await method(node, int(vmid), user, **opts)

    async def start_ct(self, node: str, vmid: int, user: str, *, skiplock: int = 0, **_: Any):
        _root_only_skiplock(skiplock, user)
        g = self.ct_on(node, vmid)
        self._must_be_stopped(g)
        refuse_template_start(g)
        await self.wait_config_lock(g)
        g = self.ct_on(node, vmid)
        self._must_be_stopped(g)
        if not skiplock:
            self.check_lock(g)
        return self.spawn_start(g, user)

    def spawn_start(self, g: Guest, user: str) -> Task:
        """The `vzstart` task itself (also what a rollback with start=1 forks, see
        `ops_snapshot.py`)."""

        async def body(task: Task) -> None:
            await task.step(START_SECONDS)
            task.checkpoint()
            self.power_on(g)

        return self.spawn(g.node, "vzstart", str(g.vmid), user, body, vmid=g.vmid, hold=g)

    async def stop_ct(self, node: str, vmid: int, user: str, *, skiplock: int = 0, **_: Any):
        _root_only_skiplock(skiplock, user)
        g = await self._running_unlocked(node, vmid, skiplock)

        async def body(task: Task) -> None:
            await task.step(STOP_SECONDS)
            task.checkpoint()
            self.power_off(g)

        return self.spawn(node, "vzstop", str(vmid), user, body, vmid=vmid, hold=g)

    async def shutdown_ct(self, node: str, vmid: int, user: str, **opts: Any):
        g = await self._running_unlocked(node, vmid, 0)
        timeout = int(opts.get("timeout") if opts.get("timeout") is not None else 60)
        force = bool(opts.get("forceStop") or opts.get("force_stop"))

        async def body(task: Task) -> None:
            if self.profile.slow_shutdown:
                # pve-container `src/PVE/LXC.pm` vm_stop: `lxc-stop -n ID --nokill --timeout T`
                # (run_command gets T + 5 s); a CT whose init ignores the request is still up:
                # "container did not stop". forceStop drops --nokill: killed after the timeout.
                await task.step(timeout + (0 if force else 5))
                if not force:
                    task.log(
                        f"command 'lxc-stop -n {g.vmid} --nokill --timeout {timeout}' failed: "
                        "got timeout"
                    )
                    raise TaskError("container did not stop")
            else:
                await task.step(SHUTDOWN_SECONDS)
            task.checkpoint()
            self.power_off(g)

        return self.spawn(node, "vzshutdown", str(vmid), user, body, vmid=vmid, hold=g)

    async def reboot_ct(self, node: str, vmid: int, user: str, **opts: Any):
        g = await self._running_unlocked(node, vmid, 0)

        async def body(task: Task) -> None:
            await task.step(SHUTDOWN_SECONDS)
            task.checkpoint()
            self.power_off(g)
            await task.step(START_SECONDS)
            self.power_on(g)

        return self.spawn(node, "vzreboot", str(vmid), user, body, vmid=vmid, hold=g)

    async def destroy_ct(
        self, node: str, vmid: int, user: str, *, force: int = 0, purge: int = 0, **_: Any
    ) -> Task:
        g = self.ct_on(node, vmid)
        if g.config.get("protection"):
            raise PveError(500, f"can't remove CT {vmid} - protection mode enabled")
        running_error = f"unable to destroy CT {vmid} - container is running"
        if g.status == "running" and not force:
            raise PveError(500, running_error)
        await self.wait_config_lock(g)
        g = self.ct_on(node, vmid)

        async def body(task: Task) -> None:
            self.check_lock_in_task(g)
            if g.status == "running":
                if not force:
                    raise TaskError(running_error)
                await task.step(STOP_SECONDS)
                self.power_off(g)
            await task.step(0.5)
            task.checkpoint()
            for storage in self.nodes[g.node].storages.values():
                for volid in [v for v, vol in storage.volumes.items() if _owned_disk(vol, vmid)]:
                    name = volid.split(":", 1)[1]
                    if storage.type == "lvmthin":
                        task.log(f'  Logical volume "{name}" successfully removed.')
                    del storage.volumes[volid]
            self.guests.pop(vmid, None)
            # API2/LXC.pm destroy_vm: PVE::AccessControl::remove_vm_access (ACLs and pool)
            self.access.remove_vm(vmid)

        return self.spawn(node, "vzdestroy", str(vmid), user, body, vmid=vmid, hold=g)

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _must_be_stopped(g: Guest) -> None:
        if g.status == "running":
            raise PveError(500, f"CT {g.vmid} already running")

    async def _running_unlocked(self, node: str, vmid: int, skiplock: int) -> Guest:
        g = self.ct_on(node, vmid)
        if g.status != "running":
            raise PveError(500, f"CT {vmid} not running")
        await self.wait_config_lock(g)
        g = self.ct_on(node, vmid)
        if g.status != "running":
            raise PveError(500, f"CT {vmid} not running")
        if not skiplock:
            self.check_lock(g)
        return g

    def check_lock_in_task(self, g: Guest) -> None:
        try:
            self.check_lock(g)
        except PveError as exc:
            raise TaskError(exc.message) from None

    def power_on(self, g: Guest) -> None:
        """The CT is up: apply pending changes, take a pid, and get an address by DHCP."""
        if g.pending:
            g.config.update({k: v for k, v in g.pending.items() if v is not None})
            for key in [k for k, v in g.pending.items() if v is None]:
                g.config.pop(key, None)
            g.pending.clear()
        g.status = "running"
        g.started = self.now()
        g.pid = self.rng.randrange(2000, 4_000_000)
        # a booting CT: init and its services already hold some memory and CPU
        g.usage = Usage(disk=g.usage.disk, cpu=0.02, mem=24 * 1024**2 + g.maxmem // 20)
        ip, dhcp = self._address_for(g)
        inside = _inside_to_notify(g)
        if inside is not None:
            inside.broken_runc = self.profile.runc_broken
            inside.on_start(
                ip,
                features=parse_features(g.config.get("features")),
                hostname=g.name,
                net_after=DHCP_SECONDS if dhcp else 0.0,
            )
        if ip is None:
            return
        if not dhcp:
            g.ip = ip
            return
        started = g.started
        loop = asyncio.get_running_loop()
        loop.call_later(self.clock.scaled(DHCP_SECONDS), self._dhcp_bound, g, started, ip)

    def _dhcp_bound(self, g: Guest, started: float, ip: str) -> None:
        if g.status == "running" and g.started == started and self.guests.get(g.vmid) is g:
            g.ip = ip

    def _address_for(self, g: Guest) -> tuple[str | None, bool]:
        net0 = str(g.config.get("net0", ""))
        if not net0:
            return None, False
        match = re.search(r"(?:^|,)ip=([^,]+)", net0)
        setting = match.group(1) if match else "manual"
        if setting == "dhcp":
            if not self.profile.dhcp:
                # No DHCP server answers on the bridge (common on hosted servers): PVE runs none
                # for a plain Linux bridge, the CT's dhclient just never gets a lease.
                return None, False
            return self.lease(g.hwaddr), True
        if "/" in setting:
            return setting.split("/", 1)[0], False
        return None, False

    def power_off(self, g: Guest) -> None:
        g.status = "stopped"
        g.started = None
        g.pid = None
        g.ip = None
        g.usage = Usage(disk=g.usage.disk)
        inside = _inside_to_notify(g)
        if inside is not None:
            inside.on_stop()


def _root_only_skiplock(skiplock: int, user: str) -> None:
    if skiplock and user != "root@pam":
        raise param_error({"skiplock": "Only root may use this option."})


def _inside_to_notify(g: Guest) -> Any:
    """The inside to tell about a start/stop. One not made yet is made from the CT's state when
    first used, so it needs no telling; a saved one (it remembers being booted) does."""
    recipe = g.inside_recipe
    if recipe is not None and recipe[0] == "dict":
        return g.inside
    return g.inside_if_made


def _owned_disk(vol: Any, vmid: int) -> bool:
    return vol.vmid == vmid and vol.content in ("rootdir", "images")
