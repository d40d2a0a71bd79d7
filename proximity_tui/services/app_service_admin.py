"""AppService's administrative half: adoption, environment repair, retries, recovery, the
nodes' Docker-ready bases, orphans, secrets and the away report.

A mixin of `AppService` (`app_service.py` keeps the running of operations, the everyday ones are
`app_service_actions.py`): the UI and the CLI call these through the same `AppService` object.
Each method checks the role like every change, and runs its operation through
`AppService.run_operation`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import PermissionDenied, ValidationError
from proximity_tui.services import base_images, docker_base
from proximity_tui.services.app_service_journal import JournalViews
from proximity_tui.services.operations import adopt as adopt_op
from proximity_tui.services.operations import environment, identify, lifecycle, prepare, recovery
from proximity_tui.services.users import require_change

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings
    from proximity_tui.services.app_records import AppRecords
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.containers import Containers
    from proximity_tui.services.docker_base import Base
    from proximity_tui.services.journal import Journal
    from proximity_tui.services.operations.context import OperationContext, Operations
    from proximity_tui.services.operations.shape import OperationDeps, OperationSpec
    from proximity_tui.services.retry import RetryPlan
    from proximity_tui.services.users import UserInfo
    from proximity_tui.store.db import Database
    from proximity_tui.views import AppView


class AdminOps(JournalViews):
    if TYPE_CHECKING:  # provided by AppService
        db: Database
        client: Any
        catalog: CatalogService
        deploy_settings: DeploySettings
        journal: Journal
        user: UserInfo
        read_only: bool
        records: AppRecords
        containers: Containers
        ops: Operations
        start_deploy: Callable[..., Coroutine[Any, Any, int]]

        @property
        def can_change(self) -> bool: ...

        def deps(self) -> OperationDeps: ...
        def _require_change(self, what: str) -> None: ...
        def _check_free(self, app_id: str) -> None: ...
        async def run_operation(self, spec: OperationSpec) -> OperationContext: ...
        async def _deployed(self, op_id: int) -> AppView: ...
        async def get_app(self, app_id: str) -> AppView: ...

    # --- secrets, the away report, untagged CTs ---

    async def reveal_secret(self, app_id: str, name: str) -> str:
        self._require_change("reveal secrets")
        return await self.records.secret(app_id, name)

    async def note_away(self) -> None:
        """The session dropped: remember the operations running now, for the next start."""
        from proximity_tui.services import away

        if op_ids := self.running_operations():
            await asyncio.to_thread(away.remember, self.db, self.user.username, op_ids)

    async def while_away(self) -> list[str]:
        """How the operations a dropped session left running ended, once (`services/away.py`)."""
        from proximity_tui.services import away

        return await asyncio.to_thread(
            away.take, self.db, self.journal, self.user.username, forget=self.can_change
        )

    async def untagged_container(self, app_id: str) -> str | None:
        """A warning when the app's CT exists without our tag (Proximity did not create it: an
        app adopted by `migrate --adopt-untagged`), for the delete confirmation; else None."""
        app = await self.records.get(app_id)
        if await self.containers.tagged(app.node, app.vmid) is not False:
            return None  # ours, or no such CT (only the record goes)
        return (
            f"CT {app.vmid} is not tagged 'proximity': Proximity did not create it, "
            "and deleting destroys it anyway"
        )

    async def retry_plan(self, op_id: int) -> RetryPlan:
        """What retrying deploy `op_id` would run (refused for anything but a failed deploy, and
        in a session that may not change things, before the journal is even read)."""
        from proximity_tui.services.retry import retry_plan

        self._require_change("retry deploys")
        return retry_plan(await self.operation(op_id, events=False))

    async def start_retry(self, op_id: int, environment: dict[str, str] | None = None) -> int:
        """Deploy again as failed deploy `op_id` was asked; values it was given (the journal
        kept only their names) must come again in `environment`. Returns the new operation."""
        plan = await self.retry_plan(op_id)
        environment = dict(environment or {})
        if missing := plan.missing_values(environment):
            raise ValidationError(
                f"operation #{op_id} was given {', '.join(missing)}: the journal keeps no values, "
                "give them again (--env NAME=VALUE, or deploy from the form)",
                field="env",
            )
        return await self.start_deploy(
            plan.catalog_id,
            plan.hostname,
            environment=environment,
            allow_risks=plan.allow_risks,
            **plan.options,
        )

    async def retry_deploy(self, op_id: int, environment: dict[str, str] | None = None) -> AppView:
        """`start_retry`, then wait for the end like `deploy_app`."""
        return await self._deployed(await self.start_retry(op_id, environment))

    async def destroy_orphan(self, vmid: int) -> None:
        """Destroy a container tagged `proximity` that no app knows (see StatusSnapshot.orphans)."""
        self._require_change("destroy containers")
        await self.run_operation(await lifecycle.destroy_orphan(self.deps(), vmid))

    async def prepare_node(
        self, node: str, *, rebuild: bool = False, with_apps: Sequence[str] = ()
    ) -> dict:
        """Build (or check, or with `rebuild` replace) the node's Docker-ready base, carrying
        the images of `with_apps` (catalog ids); returns what it records (vmid, node,
        versions, images)."""
        self._require_change("prepare nodes")
        images = base_images.images_of(self.catalog, with_apps)
        wanted, _ = base_images.configured(self.catalog, self.deploy_settings.base_apps)
        images = tuple(dict.fromkeys([*images, *wanted]))  # a deploy's log names the problems
        spec = prepare.prepare(self.deps(), node, rebuild=rebuild, images=images)
        ctx = await self.run_operation(spec)
        return dict(ctx.state.get("result") or {})

    async def docker_bases(self) -> list[Base]:
        """Every node's Docker-ready base CTs (current or not)."""
        return await docker_base.find_bases(self.client)

    async def plan_adoption(
        self,
        *,
        catalog_id: str | None = None,
        vmids: tuple[int, ...] = (),
        untagged: bool = False,
        read_env: bool = False,
    ) -> adopt_op.AdoptionPlan:
        """The CTs of the cluster this database does not know, and what adopting them would
        record (`operations/adopt.py`); reads only, so any role may ask."""
        return await adopt_op.plan(
            self.deps(),
            self.catalog,
            catalog_id=catalog_id,
            vmids=vmids,
            untagged=untagged,
            read_env=read_env,
        )

    async def adopt(self, plan: adopt_op.AdoptionPlan) -> dict[str, Any]:
        """Record a plan's apps (one journaled operation, none when there is nothing to adopt):
        {"adopted": [ids], "refused": {id: why}}. The role is checked first, always."""
        self._require_change("adopt")
        if not plan.adopt:
            return {"adopted": [], "refused": {}}
        ctx = await self.run_operation(adopt_op.adopt(self.deps(), plan))
        return dict(ctx.state.get("result") or {"adopted": [], "refused": {}})

    async def recover(self) -> list[str]:
        """Resolve the operations a dead process left running (see `recovery.py`); a session that
        may not change things only reports them."""
        try:
            require_change(self.user, "undo interrupted operations", read_only=self.read_only)
            refused = None
        except PermissionDenied as exc:
            refused = exc
        return await recovery.recover(self.deps(), self.ops, refused=refused)

    # --- environment values adoption left unknown (operations/environment.py) ---

    async def env_values(self, app_id: str) -> list[environment.EnvValue]:
        """The app's declared variables, which are unknown, which may be generated: no value."""
        return environment.values(self.catalog, await self.records.get(app_id))

    async def set_env(
        self,
        app_id: str,
        values: dict[str, str] | None = None,
        *,
        generate: tuple[str, ...] = (),
    ) -> list[str]:
        """Write values (and freshly generated secrets) into the app's `.env` and its row, one
        journaled operation; returns the names set. Bad input changes nothing."""
        self._require_change("set environment values")
        app = await self.records.get(app_id)
        self._check_free(app.id)  # busy says so, before its passing status does
        new, generated = environment.resolve(self.catalog, app, dict(values or {}), generate)
        await self.run_operation(environment.set_values(self.deps(), app, new, generated))
        return sorted(new)

    async def write_identities(self, app_ids: list[str]) -> dict[str, dict]:
        """Write the identity block into the CTs of these apps (migrated v1 apps, whose CTs
        carry none): one journaled operation, {"written", "current", "left": {id: why}}."""
        self._require_change("write identity blocks")
        apps = [await self.records.get(app_id) for app_id in dict.fromkeys(app_ids)]
        apps = [a for a in apps if a.vmid]
        if not apps:
            return {"written": {}, "current": {}, "left": {}}
        ctx = await self.run_operation(identify.identify(self.deps(), apps))
        return dict(ctx.state.get("result") or {})

    # --- the dashboard's start-up offer to adopt ---

    async def adoption_declined(self, cluster: str) -> bool:
        """Whether "Never for this cluster" was answered to the start-up offer to adopt."""
        from proximity_tui.store import repositories as repo

        def work() -> bool:
            with self.db.session(readonly=True) as s:
                return bool(repo.get_setting(s, _declined_key(cluster), False))

        return await asyncio.to_thread(work)

    async def decline_adoption(self, cluster: str) -> None:
        """Remember "Never for this cluster" (in this database; `A` on an orphan row and the
        palette still adopt)."""
        from proximity_tui.store import repositories as repo

        def work() -> None:
            with self.db.session() as s:
                repo.set_setting(s, _declined_key(cluster), True)

        await asyncio.to_thread(work)


def _declined_key(cluster: str) -> str:
    return f"adoption.never:{cluster}"
