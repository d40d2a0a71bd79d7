"""AppService's deploy: the nodes to choose from, a hostname's check, the plan of a deploy (what it
would do, without doing it), and the deploy itself, started at once or awaited to its end.

A mixin of `AppService`: the UI and the CLI call these through the same object. The steps are
`operations/deploy.py`'s; this layer validates the request, opens the operation and runs it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import ProximityError
from proximity_tui.service_views import DeployPlan, NodeChoice
from proximity_tui.services.operations import deploy, deploy_plan
from proximity_tui.services.operations.deploy_request import DeployRequest
from proximity_tui.services.operations.shape import hostname_conflict
from proximity_tui.services.validation import check_hostname
from proximity_tui.views import AppView

if TYPE_CHECKING:
    from proximity_tui.service_views import OperationView
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.services.operations.shape import OperationDeps, OperationSpec


class DeployOps:
    if TYPE_CHECKING:  # provided by AppService
        catalog: CatalogService
        _tasks: dict[int, asyncio.Task[Any]]

        def deps(self) -> OperationDeps: ...
        def _require_change(self, what: str) -> None: ...
        def _merge(self, apps: list[AppView]) -> list[AppView]: ...
        def _spawn(self, ctx: OperationContext, coro) -> asyncio.Task[Any]: ...
        async def begin(self, spec: OperationSpec) -> OperationContext: ...
        async def execute(self, ctx: OperationContext, spec: OperationSpec) -> OperationContext: ...
        async def get_app(self, app_id: str) -> AppView: ...
        async def operation(self, op_id: int, *, events: bool = True) -> OperationView: ...

    async def nodes(self) -> list[NodeChoice]:
        """Every node with its free memory and CPU, and whether the default template is cached."""
        return await deploy_plan.node_choices(self.deps())

    async def check_hostname(self, hostname: str) -> str | None:
        """None when `hostname` is valid and free (database and cluster), else the reason."""
        try:
            name = check_hostname(hostname)
        except ProximityError as exc:
            return str(exc)
        return await hostname_conflict(self.deps(), name)

    async def plan_deploy(
        self,
        catalog_id: str,
        hostname: str,
        *,
        node: str | None = None,
        cores: int | None = None,
        memory: int | None = None,
        disk: int | None = None,
        allow_risks: bool = False,
        ip: str | None = None,
        gateway: str | None = None,
        vlan: int | None = None,
    ) -> DeployPlan:
        """What a deploy would do, without doing it: node, vmid, template, network, steps,
        problems (a bad address override is one)."""
        request = DeployRequest(
            catalog_id,
            hostname,
            node,
            cores,
            memory,
            disk,
            ip=ip,
            gateway=gateway,
            vlan=vlan,
            allow_risks=allow_risks,
        )
        return await deploy_plan.plan(
            self.deps(),
            self.catalog,
            request,
            taken=await self.check_hostname(hostname),
            nodes=await self.nodes(),
        )

    # --- deploy ---

    async def start_deploy(
        self,
        catalog_id: str,
        hostname: str,
        *,
        node: str | None = None,
        cores: int | None = None,
        memory: int | None = None,
        disk: int | None = None,
        environment: dict[str, str] | None = None,
        ip: str | None = None,
        gateway: str | None = None,
        vlan: int | None = None,
        allow_risks: bool = False,
    ) -> int:
        """Validate, open the operation and start the pipeline; returns the operation id at once.

        Input errors (bad hostname, unknown entry, missing variable) raise here, before anything
        is recorded; everything later is reported through the operation."""
        request = DeployRequest(
            catalog_id,
            hostname,
            node,
            cores,
            memory,
            disk,
            environment or {},
            ip,
            gateway,
            vlan,
            allow_risks,
        )
        self._require_change("deploy")
        spec = await deploy.deploy(self.deps(), self.catalog, request)
        ctx = await self.begin(spec)
        self._spawn(ctx, self.execute(ctx, spec))
        return ctx.op_id

    async def deploy_app(self, catalog_id: str, hostname: str, **kwargs: Any) -> AppView:
        """Deploy and wait for the end; a failure raises the pipeline's `StepFailed`."""
        return await self._deployed(await self.start_deploy(catalog_id, hostname, **kwargs))

    async def _deployed(self, op_id: int) -> AppView:
        task = self._tasks.get(op_id)
        if task is not None:
            ctx = await task  # a failure raises the pipeline's `StepFailed` here
            if ctx.status == "succeeded" and ctx.app_id:  # as the journal now says: no read
                if ctx.app_view is not None:  # the row as the record step left it
                    return self._merge([ctx.app_view])[0]
                return await self.get_app(ctx.app_id)
        op = await self.operation(op_id, events=False)
        if op.status != "succeeded":
            raise ProximityError(op.error or f"deploy {op.status}")
        return await self.get_app(op.app_id or "")
