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
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import (
    ConflictError,
    ProxmoxError,
    ValidationError,
)
from proximity_tui.services import base_images, docker_base
from proximity_tui.services.catalog.model import DEFAULT_TEMPLATE, dotenv_text
from proximity_tui.services.compose_health import wait_healthy
from proximity_tui.services.containers import (
    TAG,
    compose_dir,
    compose_file,
    uncertain,
)
from proximity_tui.services.identity import Identity, description_for
from proximity_tui.services.network import NetworkPlan
from proximity_tui.services.operations import deploy_clone, deploy_early, vmids
from proximity_tui.services.operations.deploy_request import (
    DeployJob,
    DeployRequest,
    validate_request,
)
from proximity_tui.services.operations.host_check import ensure_docker_runs
from proximity_tui.services.operations.late import appears_or_watch
from proximity_tui.services.operations.shape import (
    OperationDeps,
    OperationSpec,
    StepDef,
    bind,
    hostname_conflict,
    titles,
)
from proximity_tui.services.overlap import beside, in_order
from proximity_tui.services.templates import pinned_template, resolve_template

if TYPE_CHECKING:
    from proximity_tui.proxmox.models import NodeCapacity
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.operations.context import OperationContext

MIB = 1024 * 1024
CREATE_ATTEMPTS = 5


# --- validate, place, reserve ---


async def _validate(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    # The apps were asked where the row was written (`_hostname_free`); the reserve step's
    # insert asks again in its transaction: the cluster's guests are what is left to ask.
    problem = await hostname_conflict(deps, job.hostname, apps_asked=True)
    if problem:
        raise ValidationError(problem, field="hostname")
    ctx.log(
        f"{job.entry.name} as {job.hostname}: {job.cores} core{'s' if job.cores != 1 else ''}, "
        f"{job.memory} MB, {job.disk} GB"
    )


async def _place(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    nodes = await deps.client.nodes_with_capacity()
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
            chosen = await least_busy(deps.client, nodes)
    if chosen.free_mem is None:
        ctx.log(unknown_memory(chosen.node), level="warning")
    elif chosen.free_mem < job.memory * MIB:
        raise ValidationError(
            f"node {chosen.node} has {chosen.free_mem_mb} MB free, {job.memory} MB needed",
            field="memory",
        )
    job.node = chosen.node
    # The Docker check comes before anything is created; the storages are read beside it.
    _, storages = await in_order(
        ensure_docker_runs(deps, ctx, job.node),
        deps.client.storages_accepting(job.node, "rootdir"),
    )
    names = [st.storage for st in storages]
    wanted = deps.settings.storage
    if not names:
        raise ValidationError(f"node {job.node} has no storage for container disks")
    job.storage = wanted if wanted in names else names[0]
    free = "free memory unknown" if chosen.free_mem is None else f"{chosen.free_mem_mb} MB free"
    ctx.log(f"node {job.node} ({free}), disk on {job.storage}")


async def _reserve(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    vmid = await vmids.reserve_row(
        deps.client,
        deps.records,
        ctx,
        partial(_row, deps, job),
        lambda vmid: {"app_id": job.app_id, "vmid": vmid, "node": job.node, "reserved": True},
    )
    job.vmid = vmid
    ctx.log(f"app {job.app_id} reserved with vmid {vmid}")
    net = job.network
    if net is not None and net.static:
        # Held by the app row: the undo (which deletes the row) or a delete frees it.
        address = await deps.records.reserve_address(
            job.app_id, candidates(net), wanted=net.address
        )
        job.network = replace(net, address=address)
        ctx.log(f"address {job.network.cidr} reserved ({job.network.describe()})")


def _row(deps: OperationDeps, job: DeployJob, vmid: int) -> dict[str, Any]:
    entry = job.entry
    web_port = entry.web_port()
    return {
        "id": job.app_id,
        "catalog_id": entry.id,
        "name": entry.name,
        "hostname": job.hostname,
        "status": "deploying",
        "lxc_id": vmid,
        "node": job.node,
        "owner_id": deps.user_id,
        "config": {
            "cores": job.cores,
            "memory": job.memory,
            "disk": job.disk,
            "storage": job.storage,
            "template": entry.template,
            "compose_file": compose_file(job.hostname),
            "web_port": web_port.number if web_port else None,
            "health": {
                "port": entry.health.port if entry.health else None,
                "path": entry.health.path if entry.health else None,
            },
            "secret_names": entry.secret_names(),
            "version": entry.version,
            "catalog_source": entry.source,
        },
        "ports": {str(p.number): p.number for p in entry.ports},
        "volumes": [v.name for v in entry.volumes],
        "environment": {},
    }


async def _unreserve(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> str | None:
    if not ctx.state.get("reserved"):
        return None  # the reservation failed: the row (if any) is someone else's
    if ctx.state.get("ct_left"):
        return await vmids.keep_row_as_error(deps.records, ctx, job.app_id, "deploy")
    if await deps.records.delete(job.app_id, vmid=job.vmid):
        return f"removed the app row {job.app_id}"
    return None


# --- the container ---


async def _template(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    pinned = pinned_template(job.entry.template, DEFAULT_TEMPLATE, deps.settings.template)
    if not deps.settings.base:
        choice = await resolve_template(deps.client, job.node, pinned)
        job.template = choice.name
        job.template_volid = await docker_base.os_template_volid(deps, ctx, job.node, choice)
        return
    # The node's Docker-ready base is a template too: found, or built by this deploy. It is
    # looked up while the OS template is resolved (both only read).
    for problem in job.carry_problems:
        ctx.log(problem, level="warning")
    async with beside(resolve_template(deps.client, job.node, pinned)) as choosing:
        job.base, job.template_volid = await docker_base.ensure(
            deps, ctx, job.node, job.storage, choosing, _network(deps, job), images=job.carry
        )
        job.template = choosing.result().name
    job.early = base_images.starts_early(job.entry, job.base)
    if stale := base_images.stale_note(job.entry, job.base):
        ctx.log(stale)


async def _create(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    keyctl_by_api = deps.client.auth_kind == "ticket" and deps.api_user == "root@pam"
    features = "nesting=1,keyctl=1" if keyctl_by_api else "nesting=1"
    # Tags at create are checked on /vms/<vmid> before the CT joins the pool (pve-guest-common
    # GuestHelpers.pm assert_tag_permissions, called with no pool): a token granted on its
    # pool only would get 403. Then the tag goes on with the `pct set` below, as root.
    tag_by_pct = bool(deps.settings.pool) and not keyctl_by_api
    # In the journal before the create (or clone) call leaves: written by that call's hop.
    ctx.save_state_ahead(create_requested=True, tag_by_pct=tag_by_pct, cloned=bool(job.base))
    for attempt in range(CREATE_ATTEMPTS):
        try:
            if job.base is not None:
                described = description_for(identity(deps, job))
                upid = await deploy_clone.clone_call(deps, job, ctx, described)
            else:
                upid = await _create_call(deps, job, features, tags=not tag_by_pct)
            break
        except ProxmoxError as exc:
            if "already exists" not in exc.pve_message or attempt == CREATE_ATTEMPTS - 1:
                if uncertain(exc):  # the CT may still appear: the undo watches for it
                    ctx.state["create_uncertain"] = True
                raise
            # Someone created this vmid after our reservation (another Proximity with its
            # own database, the web UI): the CT is theirs; move ours to a free vmid.
            old = job.vmid
            job.vmid = await vmids.move_reservation(deps.client, deps.records, ctx, job.app_id, old)
            ctx.log(f"vmid {old} was taken meanwhile: using {job.vmid}", level="warning")
        except BaseException as exc:
            if uncertain(exc):
                ctx.state["create_uncertain"] = True
            raise
    await deps.containers.task(ctx, upid)
    if job.base is not None:
        await deploy_clone.fit_clone(deps, job, ctx, tag_by_pct)
        return
    if not keyctl_by_api:
        # Proxmox lets only root@pam itself set keyctl through the API: use pct on the node.
        ctx.log("setting features nesting=1,keyctl=1 with pct (not allowed to API tokens)")
        tag = ["-tags", TAG] if tag_by_pct else []
        await deps.exec.pct(job.node, "set", str(job.vmid), "-features", "nesting=1,keyctl=1", *tag)


async def _create_call(
    deps: OperationDeps, job: DeployJob, features: str, *, tags: bool = True
) -> str:
    return await deps.client.create_ct(
        job.node,
        vmid=job.vmid,
        ostemplate=job.template_volid,
        hostname=job.hostname,
        cores=job.cores,
        memory=job.memory,
        swap=deps.settings.swap,
        rootfs=f"{job.storage}:{job.disk}",
        net0=_network(deps, job).net0(),
        nameserver=_network(deps, job).dns,
        features=features,
        unprivileged=True,
        onboot=True,
        tags=TAG if tags else None,
        pool=deps.settings.pool,
        description=description_for(identity(deps, job)),
        password=secrets.token_urlsafe(24),
    )


def identity(deps: OperationDeps, job: DeployJob) -> Identity:
    """What the new CT says about itself (docs/ct-identity.md): never a secret."""
    return Identity(
        app_id=job.app_id,
        catalog_id=job.entry.id,
        hostname=job.hostname,
        catalog_source=job.entry.source,
        version=job.entry.version,
        owner=deps.user_name,
        created=datetime.now(UTC),
    )


async def _destroy(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> str | None:
    if not job.vmid or not job.node:
        return None
    # Tagged only after the create (see `_create`), or still with the base's tag right after a
    # clone: its hostname identifies it meanwhile.
    name = job.hostname if ctx.state.get("tag_by_pct") or ctx.state.get("cloned") else None
    try:
        if ctx.state.get("create_uncertain") and not await appears_or_watch(
            deps, ctx, job.node, job.vmid, job.app_id, name
        ):
            return None
        if not await deps.containers.owned_by(job.node, job.vmid, job.app_id, name):
            return None
        await deps.containers.destroy(ctx, job.node, job.vmid)
    except BaseException:
        ctx.state["ct_left"] = True  # the CT may remain: its row must too (see _unreserve)
        raise
    return f"destroyed CT {job.vmid} on {job.node}"


async def _start(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    await deps.containers.start(ctx, job.node, job.vmid)


def _network(deps: OperationDeps, job: DeployJob) -> NetworkPlan:
    return job.network or NetworkPlan("dhcp", deps.settings.bridge)


async def _wait_network(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    lease = deps.containers.wait_network(
        ctx, job.node, job.vmid, _network(deps, job), deps.settings.dhcp_timeout
    )
    if job.early:
        deploy_early.begin(job, ctx, deploy_clone.while_growing(deps, job, ctx, lease))
        return
    job.address = await deploy_clone.while_growing(deps, job, ctx, lease)


async def _docker(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    if job.base is not None:
        ctx.log("Docker came with the base: waiting for it to answer")
    await deps.containers.install_docker(ctx, job.node, job.vmid, install=job.base is None)


async def _compose(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    runtime = {"PROXIMITY_ADDRESS": job.address, "PROXIMITY_HOSTNAME": job.hostname}
    env = {**job.environment}
    for name in job.entry.runtime_variables():
        env[name] = runtime[name]
    job.environment = env
    files = {
        "compose.yaml": (job.entry.deploy_compose_yaml().encode(), 0o644),
        ".env": (dotenv_text(env).encode(), 0o600),
    }
    await deps.containers.write_files(ctx, job.node, job.vmid, compose_dir(job.hostname), files)
    cfile = compose_file(job.hostname)
    if job.early:  # the images are in the clone already: nothing to pull, no network needed
        await deps.containers.compose_up_local(ctx, job.node, job.vmid, cfile)
    else:
        await deps.containers.compose_pull_up(ctx, job.node, job.vmid, cfile)


async def _health(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    await deploy_early.address(job, ctx)
    check = job.entry.health
    await wait_healthy(
        deps.containers,
        ctx,
        job.node,
        job.vmid,
        compose_file(job.hostname),
        port=check.port if check else None,
        path=check.path if check else None,
    )


async def _record(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    guest = await deps.containers.status(job.node, job.vmid)
    if guest is None or not guest.running:
        state = "gone" if guest is None else guest.status
        raise ConflictError(f"CT {job.vmid} is {state}: it stopped before the deploy ended")
    url = job.entry.url(job.address)
    config = {
        "address": job.address,
        "template": job.template,
        "network": _network(deps, job).record(),
    }
    # The row turns `running` in the transaction that notes it recorded: recovery never finds
    # a running row its journal does not know about.
    ctx.app_view = await ctx.save_state_with(
        lambda also: deps.records.set_status(
            job.app_id,
            "running",
            url=url,
            environment=job.environment,
            config=config,
            also=also,
            view=True,
        ),
        recorded=True,
        url=url,
    )
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


DEPLOY: tuple[StepDef[DeployJob], ...] = (
    StepDef("validate", "Validate the request", _validate, weight=0.3),
    StepDef("place", "Choose a node", _place, weight=0.3),
    StepDef("reserve", "Reserve the hostname and a vmid", _reserve, _unreserve, 0.3),
    StepDef("template", "Make sure the template is on the node", _template, weight=2),
    StepDef("create", "Create the container", _create, _destroy, weight=2),
    StepDef("start", "Start the container", _start, weight=1),
    StepDef("network", "Wait for an IP address", _wait_network, deploy_early.forget, 0.5),
    StepDef("docker", "Install Docker", _docker, weight=3),
    StepDef("compose", "Pull and start the app", _compose, weight=3),
    StepDef("health", "Check the app answers", _health, weight=1),
    StepDef("record", "Record the app as running", _record, weight=0.2),
)


def deploy_steps() -> list[tuple[str, str]]:
    """The deploy's steps as (name, title), in order (for plans, progress screens and tests)."""
    return titles(DEPLOY)


async def deploy(
    deps: OperationDeps, catalog: CatalogService, request: DeployRequest
) -> OperationSpec:
    """Input errors (bad hostname, unknown entry, missing variable) raise here; a hostname an
    app has raises when the operation opens (the spec's `check`, run where the journal row is
    written, just before it): before anything is recorded either way. Everything later is
    reported through the operation."""
    job = validate_request(catalog, deps.settings, request)
    if deps.settings.base:
        job.carry, job.carry_problems = base_images.configured(catalog, deps.settings.base_apps)
    secret_values = [job.environment[n] for n in job.entry.secret_names() if n in job.environment]
    return OperationSpec(
        "deploy",
        job.app_id,
        job.hostname,
        bind(DEPLOY, deps, job),
        success_message="deployed",
        parameters=request.parameters(),
        lock=[job.app_id, f"hostname:{job.hostname}"],
        secrets=[*secret_values, *request.environment.values()],
        check=partial(_hostname_free, deps, job.hostname),
    )


def _hostname_free(deps: OperationDeps, hostname: str) -> None:
    if deps.records.hostname_in_use(hostname):
        raise ValidationError(
            f"hostname {hostname!r} is already used by another app", field="hostname"
        )
