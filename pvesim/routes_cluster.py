"""Cluster-wide and node endpoints: tickets, version, nodes, resources, nextid, storage,
appliances and tasks."""

from __future__ import annotations

from typing import Any

from pvesim import appliances, listing, views
from pvesim.errors import param_error
from pvesim.router import Ctx, Reply, api
from pvesim.tasks import parse_upid


@api("GET", "/access/ticket", public=True)
async def ticket_page(ctx: Ctx) -> Any:
    return None


@api("POST", "/access/ticket", public=True, allowtoken=False)
async def ticket(ctx: Ctx) -> Any:
    p = ctx.params
    return ctx.services.auth.login(p["username"], p["password"], p.get("realm"))


@api("GET", "/version")
async def version(ctx: Ctx) -> Any:
    return views.version(ctx.state.release)


@api("GET", "/nodes")
async def nodes(ctx: Ctx) -> Any:
    # pve-manager `PVE/API2/Nodes.pm` index: without Sys.Audit on /nodes/<node> the figures are
    # left out (API2Tools.pm extract_node_stats); the fingerprint stays
    s = ctx.state
    now = s.now()
    out = []
    for n in s.nodes.values():
        entry = views.node_entry(n, now, s.ssl_fingerprint)
        out.append(
            entry if ctx.allowed(f"/nodes/{n.name}", "Sys.Audit") else views.without_stats(entry)
        )
    return out


@api("GET", "/nodes/{node}")
async def node_index(ctx: Ctx) -> Any:
    ctx.state.node(ctx.params["node"])
    names = ("aplinfo", "lxc", "qemu", "status", "storage", "tasks", "version", "vzdump")
    return [{"name": n} for n in names]


@api("GET", "/nodes/{node}/status")
async def node_status(ctx: Ctx) -> Any:
    node = ctx.state.node(ctx.params["node"])
    ctx.check(f"/nodes/{node.name}", "Sys.Audit")  # Nodes.pm status
    return views.node_status(node, ctx.state.now(), ctx.state.release)


@api("GET", "/cluster/resources")
async def resources(ctx: Ctx) -> Any:
    allowed = None if ctx.state.access.unrestricted(ctx.user) else ctx.allowed
    return Reply(None, raw=listing.resources_body(ctx.state, ctx.params.get("type"), allowed))


@api("GET", "/cluster/nextid")
async def nextid(ctx: Ctx) -> Any:
    s = ctx.state
    wanted = ctx.params.get("vmid")
    if wanted is not None:
        if wanted in s.guests:
            raise param_error({"vmid": f"VM {wanted} already exists"})
        return str(wanted)
    return str(s.next_free_vmid())


@api("GET", "/nodes/{node}/aplinfo")
async def aplinfo(ctx: Ctx) -> Any:
    ctx.state.node(ctx.params["node"])
    return [a.to_api() for a in appliances.index(ctx.state.profile.templates_rotated)]


@api("POST", "/nodes/{node}/aplinfo")
async def aplinfo_download(ctx: Ctx) -> Any:
    p = ctx.params
    ctx.check(f"/storage/{p['storage']}", "Datastore.AllocateTemplate")  # Nodes.pm apl_download
    task = await ctx.state.download_template(p["node"], p["storage"], p["template"], ctx.user)
    return task.upid


@api("POST", "/nodes/{node}/vzdump")
async def vzdump(ctx: Ctx) -> Any:
    params = dict(ctx.params)
    node = params.pop("node")
    # pve-manager `PVE/API2/VZDump.pm`: Datastore.AllocateSpace on the storage now, VM.Backup on
    # each guest when the job runs (`PVE/VZDump.pm` exec_backup: the task fails)
    ctx.check(f"/storage/{params.get('storage', 'local')}", "Datastore.AllocateSpace")
    task = await ctx.state.vzdump(
        node, params, ctx.user, may_backup=lambda vmid: ctx.allowed(f"/vms/{vmid}", "VM.Backup")
    )
    return task.upid


# --- tasks ------------------------------------------------------------------------------------


def _task(ctx: Ctx) -> Any:
    node, upid = ctx.params["node"], ctx.params["upid"]
    ctx.state.node(node)
    decoded = parse_upid(upid)
    if decoded is None:
        raise param_error({"upid": "unable to parse worker upid"})
    task = ctx.state.tasks.get(upid)
    if task is None or decoded["node"] != node:
        raise param_error({"upid": "no such task"})
    if not _owns(ctx.user, task.user):
        ctx.check(f"/nodes/{node}", "Sys.Modify" if ctx.method == "DELETE" else "Sys.Audit")
    return task


def _owns(caller: str, task_user: str) -> bool:
    """pve-manager `PVE/API2/Tasks.pm` $check_task_user: a token sees its own tasks, its user
    sees the user's and the tokens'."""
    return caller == task_user or caller == task_user.split("!", 1)[0]


@api("GET", "/nodes/{node}/tasks")
async def task_list(ctx: Ctx) -> Any:
    p = ctx.params
    node = ctx.state.node(p["node"]).name
    source = p.get("source", "archive")
    items = [t for t in ctx.state.tasks.tasks.values() if t.node == node]
    if not ctx.allowed(f"/nodes/{node}", "Sys.Audit"):  # Tasks.pm node_tasks
        items = [t for t in items if _owns(ctx.user, t.user)]
    if source == "active":
        items = [t for t in items if t.status == "running"]
    elif source == "archive":
        items = [t for t in items if t.status == "stopped"]
    if p.get("vmid") is not None:
        items = [t for t in items if t.vmid == p["vmid"]]
    if p.get("typefilter"):
        items = [t for t in items if t.type == p["typefilter"]]
    if p.get("errors"):
        items = [t for t in items if t.status == "stopped" and t.exitstatus != "OK"]
    items.sort(key=lambda t: t.starttime, reverse=True)
    start, limit = p.get("start", 0), p.get("limit", 50)
    page = []
    for t in items[start : start + limit]:
        entry = {k: v for k, v in t.status_dict().items() if k != "exitstatus"}
        if t.status == "stopped":
            entry["status"] = t.exitstatus
            entry["endtime"] = t.endtime
        page.append(entry)
    return Reply(page, total=len(items))


@api("GET", "/nodes/{node}/tasks/{upid}")
async def task_index(ctx: Ctx) -> Any:
    _task(ctx)
    return [{"name": "log"}, {"name": "status"}]


@api("DELETE", "/nodes/{node}/tasks/{upid}")
async def task_stop(ctx: Ctx) -> Any:
    ctx.state.tasks.stop(_task(ctx))
    return None


@api("GET", "/nodes/{node}/tasks/{upid}/status")
async def task_status(ctx: Ctx) -> Any:
    return _task(ctx).status_dict()


@api("GET", "/nodes/{node}/tasks/{upid}/log")
async def task_log(ctx: Ctx) -> Any:
    task = _task(ctx)
    p = ctx.params
    page, total = task.log_page(p.get("start", 0), p.get("limit", 50))
    return Reply(page, total=total)
