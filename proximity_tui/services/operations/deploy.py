"""The deploy pipeline: from a catalog entry to a running app, every step undone on failure.

validate → place → reserve → template → create → start → network → docker → compose → health →
record. (DESIGN.md puts `place` after `reserve`; the `apps.node` column is NOT NULL, so the node is
chosen first and the row is written once, complete.) Each step that changes the world has an undo;
`pipeline.run_steps` runs them in reverse on failure, so a failed deploy leaves no container and no
app row, and the operation stays in the journal as `failed` with the step and the real error.

Crash safety: the facts an undo needs (vmid, node, whether the CT was asked for) are saved to the
operation row *before* the action, so recovery in a later process can finish the rollback.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import ConflictError, ProxmoxError, ValidationError
from proximity_tui.services.catalog.model import DEFAULT_TEMPLATE, dotenv_text
from proximity_tui.services.containers import (
    TAG,
    WaitTimeout,
    compose_dir,
    compose_file,
    description_for,
    late_grace,
    uncertain,
)
from proximity_tui.services.network import NetworkPlan, dhcp_silence, plan_network
from proximity_tui.services.operations.pipeline import Step
from proximity_tui.services.templates import pinned_template, resolve_template
from proximity_tui.services.validation import check_hostname, check_resource

if TYPE_CHECKING:
    from proximity_tui.proxmox.models import NodeCapacity
    from proximity_tui.services.app_service import AppService
    from proximity_tui.services.catalog.model import CatalogEntry
    from proximity_tui.services.operations.context import OperationContext

MIB = 1024 * 1024
CREATE_ATTEMPTS = 5
MAX_CORES, MAX_MEMORY, MAX_DISK = 128, 1024 * 1024, 64 * 1024


@dataclass
class DeployRequest:
    catalog_id: str
    hostname: str
    node: str | None = None
    cores: int | None = None
    memory: int | None = None
    disk: int | None = None
    environment: dict[str, str] = field(default_factory=dict)
    #: Network overrides: an address (`A.B.C.D[/P]` or `dhcp`), a gateway, a VLAN tag.
    ip: str | None = None
    gateway: str | None = None
    vlan: int | None = None

    def parameters(self) -> dict[str, Any]:
        """What the journal records (the environment's values are masked by the journal)."""
        return {
            "catalog_id": self.catalog_id,
            "hostname": self.hostname,
            "node": self.node,
            "cores": self.cores,
            "memory": self.memory,
            "disk": self.disk,
            "environment": {k: "********" for k in self.environment},
            "ip": self.ip,
            "gateway": self.gateway,
            "vlan": self.vlan,
        }


@dataclass
class DeployJob:
    """A request resolved step by step: what the later steps and the undos need."""

    request: DeployRequest
    entry: CatalogEntry
    hostname: str
    app_id: str
    cores: int
    memory: int
    disk: int
    node: str = ""
    vmid: int = 0
    storage: str = ""
    template: str = ""
    template_volid: str = ""
    address: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    network: NetworkPlan | None = None


def validate_request(service: AppService, request: DeployRequest) -> DeployJob:
    """Checks that need no network: entry, hostname format, resources within the entry's
    minimums, environment values. Raises `ValidationError` naming the field."""
    entry = service.catalog.get(request.catalog_id)
    hostname = check_hostname(request.hostname)
    res = entry.resources
    cores = check_resource(
        res.cores if request.cores is None else request.cores,
        field="cores",
        minimum=res.min_cores,
        maximum=MAX_CORES,
    )
    memory = check_resource(
        res.memory if request.memory is None else request.memory,
        field="memory",
        minimum=res.min_memory,
        maximum=MAX_MEMORY,
        unit=" MB",
    )
    disk = check_resource(
        res.disk if request.disk is None else request.disk,
        field="disk",
        minimum=res.min_disk,
        maximum=MAX_DISK,
        unit=" GB",
    )
    if not entry.template.startswith("alpine-"):
        raise ValidationError(
            f"{entry.id}: template {entry.template} is not supported (Alpine templates only)",
            field="template",
        )
    # Render once with placeholders for what only the deploy knows, to check required values now.
    placeholders = {name: "pending" for name in entry.runtime_variables()}
    environment = entry.render_environment({**request.environment, **placeholders})
    dotenv_text(environment)  # values .env cannot carry are refused before anything changes
    network = plan_network(
        service.deploy_settings, ip=request.ip, gateway=request.gateway, vlan=request.vlan
    )
    return DeployJob(
        request=request,
        entry=entry,
        hostname=hostname,
        app_id=f"{entry.id}-{hostname}",
        cores=cores,
        memory=memory,
        disk=disk,
        environment={k: v for k, v in environment.items() if k not in placeholders},
        network=network,
    )


def deploy_steps() -> list[tuple[str, str]]:
    """The deploy's steps as (name, title), in order (for plans, progress screens and tests)."""
    return [(step.name, step.title) for step in DeployPipeline(None, None).steps()]  # type: ignore[arg-type]


class DeployPipeline:
    """The steps of one deploy, bound to the service's dependencies and one `DeployJob`."""

    def __init__(self, service: AppService, job: DeployJob) -> None:
        self.s = service
        self.job = job

    def steps(self) -> list[Step]:
        return [
            Step("validate", "Validate the request", self.validate, weight=0.3),
            Step("place", "Choose a node", self.place, weight=0.3),
            Step("reserve", "Reserve the hostname and a vmid", self.reserve, self.unreserve, 0.3),
            Step("template", "Make sure the template is on the node", self.template, weight=2),
            Step("create", "Create the container", self.create, self.destroy, weight=2),
            Step("start", "Start the container", self.start, weight=1),
            Step("network", "Wait for an IP address", self.network, weight=0.5),
            Step("docker", "Install Docker", self.docker, weight=3),
            Step("compose", "Pull and start the app", self.compose, weight=3),
            Step("health", "Check the app answers", self.health, weight=1),
            Step("record", "Record the app as running", self.record, weight=0.2),
        ]

    # --- validate, place, reserve ---

    async def validate(self, ctx: OperationContext) -> None:
        job = self.job
        problem = await self.s.hostname_conflict(job.hostname)
        if problem:
            raise ValidationError(problem, field="hostname")
        ctx.log(
            f"{job.entry.name} as {job.hostname}: {job.cores} core{'s' if job.cores != 1 else ''}, "
            f"{job.memory} MB, {job.disk} GB"
        )

    async def place(self, ctx: OperationContext) -> None:
        job = self.job
        nodes = await self.s.client.nodes_with_capacity()
        if job.request.node:
            chosen = next((n for n in nodes if n.node == job.request.node), None)
            if chosen is None:
                known = ", ".join(n.node for n in nodes) or "none"
                raise ValidationError(
                    f"node {job.request.node!r} is not an online node (online: {known})",
                    field="node",
                )
        else:
            chosen = nodes[0] if nodes else None
            if chosen is None:
                raise ValidationError("no node is online", field="node")
            if chosen.free_mem is None:  # no figures at all: spread by the guests we can see
                chosen = await least_busy(self.s.client, nodes)
        if chosen.free_mem is None:
            ctx.log(unknown_memory(chosen.node), level="warning")
        elif chosen.free_mem < job.memory * MIB:
            raise ValidationError(
                f"node {chosen.node} has {chosen.free_mem_mb} MB free, {job.memory} MB needed",
                field="memory",
            )
        job.node = chosen.node
        storages = await self.s.client.storages_accepting(job.node, "rootdir")
        names = [st.storage for st in storages]
        wanted = self.s.deploy_settings.storage
        if not names:
            raise ValidationError(f"node {job.node} has no storage for container disks")
        job.storage = wanted if wanted in names else names[0]
        free = "free memory unknown" if chosen.free_mem is None else f"{chosen.free_mem_mb} MB free"
        ctx.log(f"node {job.node} ({free}), disk on {job.storage}")

    async def reserve(self, ctx: OperationContext) -> None:
        job = self.job
        vmid = await self.s.reserve_row(ctx, self._row)
        job.vmid = vmid
        await ctx.save_state(app_id=job.app_id, vmid=vmid, node=job.node, reserved=True)
        ctx.log(f"app {job.app_id} reserved with vmid {vmid}")
        net = job.network
        if net is not None and net.static:
            # Held by the app row: the undo (which deletes the row) or a delete frees it.
            address = await self.s.records.reserve_address(
                job.app_id, candidates(net), wanted=net.address
            )
            job.network = replace(net, address=address)
            ctx.log(f"address {job.network.cidr} reserved ({job.network.describe()})")

    def _row(self, vmid: int) -> dict[str, Any]:
        job, entry = self.job, self.job.entry
        return {
            "id": job.app_id,
            "catalog_id": entry.id,
            "name": entry.name,
            "hostname": job.hostname,
            "status": "deploying",
            "lxc_id": vmid,
            "node": job.node,
            "owner_id": self.s.user.id,
            "config": {
                "cores": job.cores,
                "memory": job.memory,
                "disk": job.disk,
                "storage": job.storage,
                "template": entry.template,
                "compose_file": compose_file(job.hostname),
                "web_port": port.number if (port := entry.web_port()) else None,
                "health": {
                    "port": entry.health.port if entry.health else None,
                    "path": entry.health.path if entry.health else None,
                },
                "secret_names": entry.secret_names(),
                "version": entry.version,
            },
            "ports": {str(p.number): p.number for p in entry.ports},
            "volumes": [v.name for v in entry.volumes],
            "environment": {},
        }

    async def unreserve(self, ctx: OperationContext) -> str | None:
        if not ctx.state.get("reserved"):
            return None  # the reservation failed: the row (if any) is someone else's
        if ctx.state.get("ct_left"):
            return await keep_row_as_error(self.s, ctx, self.job.app_id, "deploy")
        if await self.s.records.delete(self.job.app_id, vmid=self.job.vmid):
            return f"removed the app row {self.job.app_id}"
        return None

    # --- the container ---

    async def template(self, ctx: OperationContext) -> None:
        job = self.job
        pinned = pinned_template(
            job.entry.template, DEFAULT_TEMPLATE, self.s.deploy_settings.template
        )
        choice = await resolve_template(self.s.client, job.node, pinned)
        job.template = choice.name
        if choice.volid is not None:
            ctx.log(choice.describe(job.node))
            job.template_volid = choice.volid
            return
        storage = self.s.deploy_settings.template_storage
        accepting = [s.storage for s in await self.s.client.storages_accepting(job.node, "vztmpl")]
        if storage not in accepting:
            if not accepting:
                raise ValidationError(f"node {job.node} has no storage for templates")
            storage = accepting[0]
        ctx.log(f"downloading {choice.name} ({choice.source}) to {storage} on {job.node}")
        await self.s.containers.task(
            ctx, await self.s.client.download_template(job.node, storage, choice.name)
        )
        job.template_volid = f"{storage}:vztmpl/{choice.name}"

    async def create(self, ctx: OperationContext) -> None:
        job = self.job
        keyctl_by_api = self.s.client.auth_kind == "ticket" and self.s.api_user == "root@pam"
        features = "nesting=1,keyctl=1" if keyctl_by_api else "nesting=1"
        # Tags at create are checked on /vms/<vmid> before the CT joins the pool (pve-guest-common
        # GuestHelpers.pm assert_tag_permissions, called with no pool): a token granted on its
        # pool only would get 403. Then the tag goes on with the `pct set` below, as root.
        tag_by_pct = bool(self.s.deploy_settings.pool) and not keyctl_by_api
        await ctx.save_state(create_requested=True, tag_by_pct=tag_by_pct)
        for attempt in range(CREATE_ATTEMPTS):
            try:
                upid = await self._create_call(features, tags=not tag_by_pct)
                break
            except ProxmoxError as exc:
                if "already exists" not in exc.pve_message or attempt == CREATE_ATTEMPTS - 1:
                    if uncertain(exc):  # the CT may still appear: the undo watches for it
                        ctx.state["create_uncertain"] = True
                    raise
                # Someone created this vmid after our reservation (another Proximity with its
                # own database, the web UI): the CT is theirs; move ours to a free vmid.
                old = job.vmid
                job.vmid = await self.s.move_reservation(ctx, job.app_id, old)
                ctx.log(f"vmid {old} was taken meanwhile: using {job.vmid}", level="warning")
            except BaseException as exc:
                if uncertain(exc):
                    ctx.state["create_uncertain"] = True
                raise
        await self.s.containers.task(ctx, upid)
        if not keyctl_by_api:
            # Proxmox lets only root@pam itself set keyctl through the API: use pct on the node.
            ctx.log("setting features nesting=1,keyctl=1 with pct (not allowed to API tokens)")
            tag = ["-tags", TAG] if tag_by_pct else []
            await self.s.exec.pct(
                job.node, "set", str(job.vmid), "-features", "nesting=1,keyctl=1", *tag
            )

    async def _create_call(self, features: str, *, tags: bool = True) -> str:
        job = self.job
        return await self.s.client.create_ct(
            job.node,
            vmid=job.vmid,
            ostemplate=job.template_volid,
            hostname=job.hostname,
            cores=job.cores,
            memory=job.memory,
            swap=self.s.deploy_settings.swap,
            rootfs=f"{job.storage}:{job.disk}",
            net0=self._network().net0(),
            nameserver=self._network().dns,
            features=features,
            unprivileged=True,
            onboot=True,
            tags=TAG if tags else None,
            pool=self.s.deploy_settings.pool,
            description=description_for(job.app_id),
            password=secrets.token_urlsafe(24),
        )

    async def destroy(self, ctx: OperationContext) -> str | None:
        job = self.job
        if not job.vmid or not job.node:
            return None
        try:
            if ctx.state.get("create_uncertain"):
                await self.s.containers.appears(job.node, job.vmid, late_grace(self.s.client))
            # Tagged only after the create (see `create`): its hostname identifies it meanwhile.
            name = job.hostname if ctx.state.get("tag_by_pct") else None
            if not await self.s.containers.owned_by(job.node, job.vmid, job.app_id, name):
                return None
            await self.s.containers.destroy(ctx, job.node, job.vmid)
        except BaseException:
            ctx.state["ct_left"] = True  # the CT may remain: its row must too (see unreserve)
            raise
        return f"destroyed CT {job.vmid} on {job.node}"

    async def start(self, ctx: OperationContext) -> None:
        await self.s.containers.start(ctx, self.job.node, self.job.vmid)

    def _network(self) -> NetworkPlan:
        return self.job.network or NetworkPlan("dhcp", self.s.deploy_settings.bridge)

    async def network(self, ctx: OperationContext) -> None:
        job, net = self.job, self._network()
        if net.static:
            job.address = await self.s.containers.wait_address(ctx, job.node, job.vmid)
            return
        limit = self.s.deploy_settings.dhcp_timeout
        try:
            job.address = await self.s.containers.wait_address(
                ctx, job.node, job.vmid, timeout=limit
            )
        except WaitTimeout:  # every answer came, none with a lease (not a call timing out)
            raise WaitTimeout(dhcp_silence(net.bridge, limit)) from None

    async def docker(self, ctx: OperationContext) -> None:
        await self.s.containers.install_docker(ctx, self.job.node, self.job.vmid)

    async def compose(self, ctx: OperationContext) -> None:
        job = self.job
        runtime = {"PROXIMITY_ADDRESS": job.address, "PROXIMITY_HOSTNAME": job.hostname}
        env = {**job.environment}
        for name in job.entry.runtime_variables():
            env[name] = runtime[name]
        job.environment = env
        files = {
            "compose.yaml": (job.entry.compose_yaml().encode(), 0o644),
            ".env": (dotenv_text(env).encode(), 0o600),
        }
        cfile = compose_file(job.hostname)
        await self.s.containers.write_files(
            ctx, job.node, job.vmid, compose_dir(job.hostname), files
        )
        await self.s.containers.compose_pull_up(ctx, job.node, job.vmid, cfile)

    async def health(self, ctx: OperationContext) -> None:
        job, check = self.job, self.job.entry.health
        await self.s.containers.wait_healthy(
            ctx,
            job.node,
            job.vmid,
            compose_file(job.hostname),
            port=check.port if check else None,
            path=check.path if check else None,
        )

    async def record(self, ctx: OperationContext) -> None:
        job = self.job
        guest = await self.s.containers.status(job.node, job.vmid)
        if guest is None or not guest.running:
            state = "gone" if guest is None else guest.status
            raise ConflictError(f"CT {job.vmid} is {state}: it stopped before the deploy ended")
        url = job.entry.url(job.address)
        await self.s.records.set_status(
            job.app_id,
            "running",
            url=url,
            environment=job.environment,
            config={
                "address": job.address,
                "template": job.template,
                "network": self._network().record(),
            },
        )
        await ctx.save_state(recorded=True, url=url)
        ctx.log(f"{job.entry.name} is running" + (f" at {url}" if url else ""))


def candidates(net: NetworkPlan):
    """The pool's addresses a CT may take (not the gateway nor the DNS server)."""
    avoid = {net.gateway, net.dns}
    return (str(a) for a in (net.pool or ()) if str(a) not in avoid)


def unknown_memory(node: str) -> str:
    return (
        f"free memory on {node} is unknown (Proxmox leaves node figures out without Sys.Audit "
        f"on /nodes/{node}): the memory check is skipped"
    )


async def least_busy(client: Any, nodes: list[NodeCapacity]) -> NodeCapacity:
    """Among nodes whose figures are unknown, the one running the fewest guests we can see."""
    counts = Counter(g.node for g in await client.cluster_resources())
    return min(nodes, key=lambda n: (n.free_mem is not None, counts[n.node], n.node))


async def keep_row_as_error(svc: AppService, ctx: OperationContext, app_id: str, kind: str) -> str:
    """The undo that should have destroyed the new CT failed: deleting the app row now would
    leave an orphan container nobody lists. Keep the row as `error`, saying what to do."""
    vmid, node = ctx.state.get("vmid"), ctx.state.get("node")
    reason = (
        f"the {kind} failed and its CT {vmid} on {node} could not be destroyed: "
        "delete the app to remove it"
    )
    await svc.records.set_status(app_id, "error", reason=reason)
    return f"kept the app row {app_id} as error: CT {vmid} could not be destroyed"
