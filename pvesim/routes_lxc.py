"""Container endpoints under `/nodes/{node}/lxc`."""

from __future__ import annotations

from typing import Any

from pvesim import listing, perms, stats, views
from pvesim.errors import PveError
from pvesim.router import Ctx, Reply, api

# Each handler checks what its pve-container method declares (`permissions => { check =>
# ['perm', '/vms/{vmid}', [...]] }` in src/PVE/API2/LXC.pm, LXC/Status.pm, LXC/Config.pm,
# LXC/Snapshot.pm); PVE checks before it looks at the guest, so do we.


def _ct(ctx: Ctx) -> Any:
    return ctx.state.ct_on(ctx.params["node"], ctx.params["vmid"])


def _vm(ctx: Ctx, *privs: str, any_: bool = False) -> None:
    ctx.check(f"/vms/{ctx.params['vmid']}", *privs, any_=any_)


@api("GET", "/nodes/{node}/lxc")
async def ct_list(ctx: Ctx) -> Any:
    node = ctx.state.node(ctx.params["node"])
    # API2/LXC.pm vmlist: only guests with VM.Audit
    unrestricted = ctx.state.access.unrestricted(ctx.user)
    visible = None if unrestricted else lambda g: ctx.allowed(f"/vms/{g.vmid}", "VM.Audit")
    return Reply(None, raw=listing.ct_list_body(ctx.state, node, visible))


@api("POST", "/nodes/{node}/lxc")
async def ct_create(ctx: Ctx) -> Any:
    perms.check_create(ctx, ctx.params)
    params = dict(ctx.params)
    node = params.pop("node")
    task = await ctx.state.create_ct(node, params, ctx.user)
    return task.upid


@api("GET", "/nodes/{node}/lxc/{vmid}")
async def ct_index(ctx: Ctx) -> Any:
    _ct(ctx)
    names = (
        "config",
        "status",
        "vncproxy",
        "termproxy",
        "vncwebsocket",
        "spiceproxy",
        "migrate",
        "clone",
        "rrd",
        "rrddata",
        "firewall",
        "snapshot",
        "resize",
        "interfaces",
    )
    return [{"subdir": n} for n in names]


@api("DELETE", "/nodes/{node}/lxc/{vmid}")
async def ct_destroy(ctx: Ctx) -> Any:
    p = ctx.params
    _vm(ctx, "VM.Allocate")
    task = await ctx.state.destroy_ct(
        p["node"], p["vmid"], ctx.user, force=p.get("force", 0), purge=p.get("purge", 0)
    )
    return task.upid


@api("GET", "/nodes/{node}/lxc/{vmid}/config")
async def ct_config(ctx: Ctx) -> Any:
    s = ctx.state
    _vm(ctx, "VM.Audit")
    g = _ct(ctx)
    snapname = ctx.params.get("snapshot")
    if snapname is not None:
        snap = g.snapshots.get(snapname)
        if snap is None:
            raise PveError(500, f"snapshot '{snapname}' does not exist")
        conf = dict(snap.config)
        conf["snaptime"] = snap.snaptime
        if snap.description:
            conf["description"] = snap.description
        return views.config_view(conf, s.config_digest(g.config))
    conf = g.config if ctx.params.get("current") else s.effective_config(g)
    return views.config_view(conf, s.config_digest(g.config))


@api("PUT", "/nodes/{node}/lxc/{vmid}/config")
async def ct_config_set(ctx: Ctx) -> Any:
    p = dict(ctx.params)
    node, vmid = p.pop("node"), p.pop("vmid")
    _vm(ctx, *perms.VM_CONFIG_PRIVS, any_=True)
    g = _ct(ctx)
    changes = {k: v for k, v in p.items() if k not in ("delete", "digest", "revert")}
    deleted = [d for d in str(p.get("delete") or "").replace(";", ",").split(",") if d]
    pool = ctx.state.access.pool_of(vmid)
    perms.check_config_options(ctx, vmid, pool, changes, ctx.state.effective_config(g), deleted)
    await ctx.state.set_ct_config(node, vmid, p, ctx.user)
    return None


@api("GET", "/nodes/{node}/lxc/{vmid}/status")
async def ct_status_index(ctx: Ctx) -> Any:
    _ct(ctx)
    return [
        {"subdir": n}
        for n in ("current", "start", "stop", "shutdown", "reboot", "suspend", "resume")
    ]


@api("GET", "/nodes/{node}/lxc/{vmid}/status/current")
async def ct_status(ctx: Ctx) -> Any:
    _vm(ctx, "VM.Audit")
    g = _ct(ctx)
    s = ctx.state
    return views.ct_status(g, s.now(), s.nodes[g.node], vmid_str=s.release.major < 8)


def _power(action: str):
    async def handler(ctx: Ctx) -> Any:
        p = dict(ctx.params)
        _vm(ctx, "VM.PowerMgmt")
        node, vmid = p.pop("node"), p.pop("vmid")
        task = await ctx.state.ct_action(node, vmid, action, ctx.user, **p)
        return task.upid

    handler.__name__ = f"ct_{action}"
    return handler


for _action in ("start", "stop", "shutdown", "reboot"):
    api("POST", f"/nodes/{{node}}/lxc/{{vmid}}/status/{_action}")(_power(_action))


#: pve-container commit 3d56c9c ("api: network: get interfaces from containers", Nov 2023,
#: pve-container 5.0.x for PVE 8.1) added `.../interfaces`: before it the path is unknown.
INTERFACES_SINCE_MAJOR = 8


@api("GET", "/nodes/{node}/lxc/{vmid}/interfaces")
async def ct_interfaces(ctx: Ctx) -> Any:
    if ctx.state.release.major < INTERFACES_SINCE_MAJOR:
        p = ctx.params
        path = f"/nodes/{p['node']}/lxc/{p['vmid']}/interfaces"
        raise PveError(501, f"Method 'GET {path}' not implemented")
    _vm(ctx, "VM.Audit")
    return views.interfaces(_ct(ctx))


@api("POST", "/nodes/{node}/lxc/{vmid}/clone")
async def ct_clone(ctx: Ctx) -> Any:
    p = dict(ctx.params)
    node, vmid = p.pop("node"), p.pop("vmid")
    # API2/LXC.pm clone_vm: VM.Clone on the source, VM.Allocate on the new id (or its pool),
    # Datastore.AllocateSpace on the target storage, SDN.Use on the bridges
    _vm(ctx, "VM.Clone")
    perms.check_pool_exists(ctx, p.get("pool"))
    perms.check_vm_allocate(ctx, int(p["newid"]), p.get("pool"))
    src = _ct(ctx)
    if p.get("storage"):
        ctx.check(f"/storage/{p['storage']}", "Datastore.AllocateSpace")
    for key, value in src.config.items():
        if key.startswith("net"):
            perms.check_bridge(ctx, value)
    task = await ctx.state.clone_ct(node, vmid, p, ctx.user)
    return task.upid


@api("POST", "/nodes/{node}/lxc/{vmid}/template")
async def ct_template(ctx: Ctx) -> Any:
    # API2/LXC.pm template: VM.Allocate on /vms/{vmid}; the worker is forked and the call
    # answers null (`returns => { type => 'null' }`): the caller watches the config or the task.
    _vm(ctx, "VM.Allocate")
    p = ctx.params
    await ctx.state.template_ct(p["node"], p["vmid"], ctx.user)
    return None


@api("PUT", "/nodes/{node}/lxc/{vmid}/resize")
async def ct_resize(ctx: Ctx) -> Any:
    _vm(ctx, "VM.Config.Disk")  # API2/LXC.pm resize_vm
    p = ctx.params
    task = await ctx.state.resize_ct(p["node"], p["vmid"], p["disk"], p["size"], ctx.user)
    return task.upid


@api("GET", "/nodes/{node}/lxc/{vmid}/snapshot")
async def snapshot_list(ctx: Ctx) -> Any:
    _vm(ctx, "VM.Audit")
    return ctx.state.snapshot_list(_ct(ctx))


@api("POST", "/nodes/{node}/lxc/{vmid}/snapshot")
async def snapshot_create(ctx: Ctx) -> Any:
    p = ctx.params
    _vm(ctx, "VM.Snapshot")
    task = await ctx.state.snapshot_create(
        p["node"], p["vmid"], p["snapname"], ctx.user, p.get("description", "")
    )
    return task.upid


@api("GET", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}")
async def snapshot_index(ctx: Ctx) -> Any:
    _vm(ctx, "VM.Audit")
    g = _ct(ctx)
    name = ctx.params["snapname"]
    if name not in g.snapshots:
        raise PveError(500, f"snapshot '{name}' does not exist")
    return [{"cmd": "rollback"}, {"cmd": "config"}]


@api("DELETE", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}")
async def snapshot_delete(ctx: Ctx) -> Any:
    p = ctx.params
    _vm(ctx, "VM.Snapshot")
    task = await ctx.state.snapshot_delete(
        p["node"], p["vmid"], p["snapname"], ctx.user, p.get("force", 0)
    )
    return task.upid


@api("POST", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback")
async def snapshot_rollback(ctx: Ctx) -> Any:
    p = ctx.params
    _vm(ctx, "VM.Snapshot", "VM.Snapshot.Rollback", any_=True)
    task = await ctx.state.snapshot_rollback(
        p["node"], p["vmid"], p["snapname"], ctx.user, p.get("start", 0)
    )
    return task.upid


@api("GET", "/nodes/{node}/lxc/{vmid}/rrddata")
async def rrddata(ctx: Ctx) -> Any:
    s = ctx.state
    _vm(ctx, "VM.Audit")
    g = _ct(ctx)
    node = s.nodes[g.node]
    return stats.rrddata(g, ctx.params["timeframe"], s.now(), s.seed, views.guest_cpus(g, node))
