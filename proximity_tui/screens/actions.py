"""Actions on apps (start, stop, ..., delete), shared by the apps table, the detail screen and
the command palette: which apply, the confirmation they need, running them on the service loop,
and reporting the real outcome.

The flows run as App-level workers, so leaving a screen never cancels one; the operation itself
runs on the service loop anyway and ends (or rolls back) without the UI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from proximity_tui.screens.action_report import (
    WITH_PROGRESS,
    describe_error,
    failure_text,
    progress_opener,
    success_text,
)
from proximity_tui.views import AppView

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp

#: One action on one app: the service call it makes, given the app service and the app's id
#: (and, for the actions in WITH_PROGRESS, `on_start=`: who opens its progress screen).
ActionCall = Callable[..., Coroutine[Any, Any, object]]

#: Action -> (key, menu label, past tense, present participle).
ACTIONS: dict[str, tuple[str, str, str, str]] = {
    "start": ("S", "Start", "Started", "starting"),
    "stop": ("X", "Stop", "Stopped", "stopping"),
    "restart": ("R", "Restart", "Restarted", "restarting"),
    "delete": ("D", "Delete", "Deleted", "deleting"),
    "clone": ("C", "Clone", "Cloned", "cloning"),
    "backup": ("B", "Backup", "Backed up", "backing up"),
    "update": ("U", "Update", "Updated", "updating"),
    "logs": ("L", "Logs", "", ""),
}
#: Actions that need a confirmation even for a single app (delete asks for the hostname).
CONFIRM_ALWAYS = frozenset({"delete", "update"})
#: Actions that interrupt a running service: confirmed unless `[ui] confirm_stop = false`.
LIVE_INTERRUPTING = frozenset({"stop", "restart"})
#: Confirmations whose default button is Cancel (Enter must not destroy or interrupt).
DESTRUCTIVE = frozenset({"delete", "stop", "restart"})
#: The service call behind each action key. Clone's takes the new hostname too (`ask_clone`
#: asks for it first); logs opens the detail screen's Logs tab and calls nothing here.
CALLS: dict[str, ActionCall] = {
    "start": lambda apps, app_id: apps.start_app(app_id),
    "stop": lambda apps, app_id: apps.stop_app(app_id),
    "restart": lambda apps, app_id: apps.restart_app(app_id),
    "delete": lambda apps, app_id: apps.delete_app(app_id),
    "backup": lambda apps, app_id, **kw: apps.backup_app(app_id, **kw),
    "update": lambda apps, app_id, **kw: apps.update_app(app_id, **kw),
}


def backup_call(mode: str, storage: str) -> ActionCall:
    return lambda apps, app_id, **kw: apps.backup_app(app_id, mode=mode, storage=storage, **kw)


def clone_call(new_hostname: str, node: str | None = None) -> ActionCall:
    return lambda apps, app_id, **kw: apps.clone_app(app_id, new_hostname, node=node, **kw)


class ActionRunner:
    def __init__(self, app: ProximityApp) -> None:
        self.app = app
        #: app id -> the action running on it from this UI (shown in the status column).
        self.pending: dict[str, str] = {}

    # --- what applies ---------------------------------------------------------------------

    def allowed(self, action: str, view: AppView) -> bool:
        services = self.app.services
        if services is None:
            return False
        if action != "logs" and not services.can_change:
            return False
        if view.id in self.pending:
            return False
        try:
            return action in services.apps.actions_for(view)
        except Exception:
            return False

    def applicable(self, action: str, ids: list[str]) -> list[AppView]:
        views = [self.app.apps[i] for i in ids if i in self.app.apps]
        return [v for v in views if self.allowed(action, v)]

    def running_operation(self, app_id: str) -> int | None:
        """The operation working on `app_id` now. A view's `busy_op` is not enough: the status
        monitor's views never carry it, so the service's live operations are asked too."""
        services = self.app.services
        if services is None:
            return None
        return services.apps.operation_for(app_id)

    # --- running ----------------------------------------------------------------------------

    def why_not(self, action: str, ids: list[str]) -> str:
        """Why `action` applies to none of `ids`: said when its key is pressed anyway."""
        label = ACTIONS[action][1]
        services = self.app.services
        if services is None:
            return "Still connecting to Proxmox: try again in a moment."
        if action != "logs" and not services.can_change:
            return f"Read-only session: {label} is disabled."
        views = [self.app.apps[i] for i in ids if i in self.app.apps]
        if not views:
            return f"No app selected to {label.lower()}."
        if len(views) > 1:
            return f"{label} applies to none of the {len(views)} marked apps."
        v = views[0]
        if v.id in self.pending:
            return f"{v.hostname} is busy: {ACTIONS[self.pending[v.id]][3]}…"
        if v.busy_op is not None:
            return f"{v.hostname} is busy: operation #{v.busy_op} is running."
        if v.status == "missing":
            return f"The container of {v.hostname} is gone: D deletes its record."
        if action in ("stop", "restart") and v.status == "stopped":
            return (
                f"{v.hostname} is already stopped."
                if action == "stop"
                else (f"{v.hostname} is stopped: S starts it.")
            )
        if action == "start" and v.status == "running":
            return f"{v.hostname} is already running."
        return f"Cannot {label.lower()} {v.hostname} while it is {v.status}."

    def request(
        self, action: str, ids: list[str], on_started: Callable[[], None] | None = None
    ) -> None:
        """Start the flow for `action` on the apps `ids` (confirmation first when needed);
        `on_started` runs once it is confirmed and running (the table drops its marks)."""
        self.app.run_worker(
            self._flow(action, list(ids), on_started),
            group="actions",
            exit_on_error=False,
            description=f"{action} {len(ids)} app(s)",
        )

    async def _flow(
        self, action: str, ids: list[str], on_started: Callable[[], None] | None = None
    ) -> None:
        from proximity_tui.screens.action_questions import ask_backup_options
        from proximity_tui.screens.confirm import ConfirmScreen

        app = self.app
        targets = self.applicable(action, ids)
        names = ", ".join(app.apps[i].hostname for i in ids if i in app.apps) or "nothing"
        if not targets:
            what = "show the logs of" if action == "logs" else ACTIONS[action][1].lower()
            why = "" if app.ready_services.can_change or action == "logs" else " (read-only)"
            app.notify(f"Cannot {what} {names} now{why}.", severity="warning", markup=False)
            return
        if action == "logs":
            app.open_app(targets[0].id, tab="logs")
            return
        if action == "clone":
            await self._clone(targets)
            return
        call = CALLS[action]
        options: dict[str, str] = {}
        if action == "backup":  # asked once, whatever the number of apps
            options = await ask_backup_options(app, targets) or {}
            if not options:
                return
            call = backup_call(options["mode"], options["storage"])
        label = ACTIONS[action][1]
        if action in CONFIRM_ALWAYS or len(targets) > 1 or self._live_stop(action, targets):
            lines = [f"{v.hostname}  ({v.status}, CT {v.vmid} on {v.node})" for v in targets]
            if options:
                lines.append(f"(mode {options['mode']}, to storage {options['storage']})")
            chosen = {v.hostname for v in targets}
            skipped = [app.apps[i].hostname for i in ids if i in app.apps]
            skipped = [h for h in skipped if h not in chosen]
            if skipped:
                lines.append(f"(skipped, does not apply: {', '.join(skipped)})")
            if action == "delete":
                lines += await self._untagged(targets)
            if action == "update":
                lines += await self._images(targets)
            require = None
            if action == "delete":
                require = targets[0].hostname if len(targets) == 1 else "delete"
            plural = f"{len(targets)} apps" if len(targets) > 1 else targets[0].hostname
            confirmed = await app.push_screen_wait(
                ConfirmScreen(
                    f"{label} {plural}?",
                    lines,
                    confirm_label=label,
                    require_text=require,
                    danger=action in DESTRUCTIVE,
                    note=_note(action, targets),
                )
            )
            if not confirmed:
                return
        if on_started is not None:
            on_started()
        # One app: its progress screen opens (as a deploy's). Several: toasts only, each
        # operation's progress a key away in the Operations list, rather than a stack of
        # screens the admin did not ask for.
        watch = len(targets) == 1
        await asyncio.gather(*(self._run_one(action, v, call, watch=watch) for v in targets))

    def _live_stop(self, action: str, targets: list[AppView]) -> bool:
        """Stop and restart interrupt a running service: asked first unless `[ui] confirm_stop`
        is off."""
        return (
            action in LIVE_INTERRUPTING
            and self.app.settings.ui.confirm_stop
            and any(v.status == "running" for v in targets)
        )

    async def _untagged(self, targets: list[AppView]) -> list[str]:
        """A line for each target whose CT is not ours (adopted untagged): deleting destroys a
        container Proximity did not create."""
        services = self.app.ready_services
        out = []
        for v in targets:
            try:
                warning = await services.run(services.apps.untagged_container(v.id))
            except Exception as exc:  # noqa: BLE001 - said, and the delete checks again
                warning = f"could not check CT {v.vmid}'s tags: {describe_error(exc)}"
            if warning:
                out.append(f"⚠ {v.hostname}: {warning}")
        return out

    async def _images(self, targets: list[AppView]) -> list[str]:
        """Per app and service, the image it runs and the one the update moves it to."""
        services = self.app.ready_services
        out = []
        for v in targets:
            try:
                changes = await services.run(services.apps.update_images(v.id))
            except Exception as exc:  # noqa: BLE001 - said; the update reads them again
                out.append(f"  {v.hostname}: images unknown ({describe_error(exc)})")
                continue
            out += [f"  {v.hostname} {c.line()}" for c in changes]
        return out

    def prepare_node(self, node: str) -> None:
        """Build (or check) the node's Docker-ready base; later deploys there clone it."""
        self.app.run_worker(
            self._prepare_flow(node),
            group="actions",
            exit_on_error=False,
            description=f"prepare {node}",
        )

    async def _prepare_flow(self, node: str) -> None:
        app = self.app
        app.notify(f"Preparing the Docker-ready base of {node}…", markup=False)
        try:
            services = app.ready_services
            result = await services.run(services.apps.prepare_node(node))
        except Exception as exc:
            app.notify(
                f"Preparing {node} failed: {describe_error(exc)}",
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        app.notify(
            f"Docker-ready base of {node}: CT {result.get('vmid')} (Docker "
            f"{result.get('docker', '?')}); deploys there clone it",
            markup=False,
        )

    def destroy_orphan(self, vmid: int, node: str, name: str) -> None:
        """Confirm (typing the vmid), then destroy a tagged container no app knows."""
        self.app.run_worker(
            self._orphan_flow(vmid, node, name),
            group="actions",
            exit_on_error=False,
            description=f"destroy orphan CT {vmid}",
        )

    async def _orphan_flow(self, vmid: int, node: str, name: str) -> None:
        from proximity_tui.screens.confirm import ConfirmScreen

        app = self.app
        confirmed = await app.push_screen_wait(
            ConfirmScreen(
                f"Destroy orphan CT {vmid}?",
                [f"CT {vmid} ({name or 'unnamed'}) on {node}: tagged 'proximity', no app record"],
                confirm_label="Destroy",
                require_text=str(vmid),
                danger=True,
                note="Its disk is destroyed too. Back it up in Proxmox first if unsure.",
            )
        )
        if not confirmed:
            return
        try:
            services = app.ready_services
            await services.run(services.apps.destroy_orphan(vmid))
        except Exception as exc:
            app.notify(
                f"Destroying CT {vmid} failed: {describe_error(exc)}",
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        app.notify(f"Orphan CT {vmid} destroyed", markup=False)
        app.refresh_status()

    def adopt(self, vmids: tuple[int, ...] = ()) -> None:
        """Plan, confirm, then adopt `vmids` (every tagged CT no row knows when empty)."""
        from proximity_tui.screens.adoption import adopt_flow

        self.app.run_worker(
            adopt_flow(self.app, vmids),
            group="actions",
            exit_on_error=False,
            description="adopt containers",
        )

    async def _run_one(
        self, action: str, view: AppView, call: ActionCall, *, watch: bool = False
    ) -> object:
        """Run `call` on `view`; with `watch`, an action in WITH_PROGRESS opens its progress
        screen once the operation has started."""
        app = self.app
        services = app.ready_services
        self.pending[view.id] = action
        app.update_apps([view])
        result: object = None
        kwargs = {"on_start": progress_opener(app)} if watch and action in WITH_PROGRESS else {}
        try:
            result = await services.run(call(services.apps, view.id, **kwargs))
        except Exception as exc:
            self.pending.pop(view.id, None)
            app.notify(
                failure_text(ACTIONS[action][1], view.hostname, exc),
                severity="error",
                timeout=10,
                markup=False,
            )
            await self._reread(view.id)
            return None
        self.pending.pop(view.id, None)
        app.notify(success_text(action, ACTIONS[action][2], view, result), markup=False)
        if action == "delete":
            app.update_apps([], removed={view.id})
        else:
            await self._reread(view.id)
            if action == "clone" and isinstance(result, AppView):  # the new app
                app.update_apps([result])
        app.refresh_status()
        return result

    async def _reread(self, app_id: str) -> None:
        app = self.app
        try:
            services = app.ready_services
            fresh = await services.run(services.apps.get_app(app_id))
        except Exception:
            app.update_apps([], removed={app_id} if app_id in app.apps else set())
            app.load_apps()
            return
        app.update_apps([fresh])

    async def _clone(self, targets: list[AppView]) -> None:
        from proximity_tui.screens.action_questions import ask_clone

        if len(targets) > 1:
            self.app.notify("Clone one app at a time.", severity="warning")
            return
        asked = await ask_clone(self.app, targets[0])
        if asked is not None:
            await self._run_one("clone", targets[0], clone_call(*asked), watch=True)


_NOTES = {
    "delete": "The container and its data are destroyed; backups are kept.",
    "update": "A snapshot is taken first; a failed update rolls back to it.",
    "stop": "Compose services are stopped, then the container is shut down. "
    "(No question for stop and restart: [ui] confirm_stop = false.)",
    "restart": "The running services are interrupted while the container restarts. "
    "(No question for stop and restart: [ui] confirm_stop = false.)",
}


def _note(action: str, targets: list[AppView]) -> str:
    """The confirmation's note; a delete says what it really removes, by the apps' status."""
    if action == "delete":
        gone = [v for v in targets if v.status == "missing"]
        if len(gone) == len(targets):
            return "The container is already gone from Proxmox: only the app record is removed."
        if gone:
            return (
                "Containers and their data are destroyed (for apps whose container is already "
                "gone, only the record); backups are kept."
            )
    return _NOTES.get(action, "")
