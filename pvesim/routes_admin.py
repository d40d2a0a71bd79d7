"""Removing what the setup made (its undo), one token's info, and the node's network interfaces
(pve-access-control `src/PVE/API2/{User,Role,TokenConfig}.pm`, pve-manager `PVE/API2/Pool.pm`,
`PVE/API2/Network.pm`)."""

from __future__ import annotations

from typing import Any

from pvesim.errors import PveError
from pvesim.router import Ctx, api
from pvesim.routes_access import _check_token_owner, _token_entry


@api("GET", "/access/users/{userid}/token/{tokenid}")
async def token_info(ctx: Ctx) -> Any:
    """`TokenConfig.pm` read_token: "no such token" otherwise."""
    p = ctx.params
    user = _check_token_owner(ctx, p["userid"])
    token = user.tokens.get(p["tokenid"])
    if token is None:
        raise PveError(500, f"no such token '{p['tokenid']}' for user '{p['userid']}'")
    entry = _token_entry(p["tokenid"], token)
    entry.pop("tokenid")
    return entry


@api("DELETE", "/access/users/{userid}/token/{tokenid}")
async def token_delete(ctx: Ctx) -> Any:
    p = ctx.params
    user = _check_token_owner(ctx, p["userid"])
    if p["tokenid"] not in user.tokens:
        raise PveError(500, f"no such token '{p['tokenid']}' for user '{p['userid']}'")
    _drop_token(ctx, f"{p['userid']}!{p['tokenid']}")
    del user.tokens[p["tokenid"]]
    return None


def _drop_token(ctx: Ctx, full: str) -> None:
    access = ctx.state.access
    access.secrets.pop(full, None)
    for subjects in access.acl.values():
        subjects.pop(("token", full), None)


@api("DELETE", "/access/users/{userid}")
async def user_delete(ctx: Ctx) -> Any:
    """`User.pm` delete_user: its groups, ACLs and tokens go with it."""
    userid = ctx.params["userid"]
    realm = userid.rsplit("@", 1)[1]
    ctx.check(f"/access/realm/{realm}", "Realm.AllocateUser")
    ctx.check("/access/groups", "User.Modify")
    access = ctx.state.access
    user = access.users.get(userid)
    if user is None:
        raise PveError(500, f"delete user failed: no such user ('{userid}')")
    for tokenid in user.tokens:
        _drop_token(ctx, f"{userid}!{tokenid}")
    for members in access.groups.values():
        members.discard(userid)
    for subjects in access.acl.values():
        subjects.pop(("user", userid), None)
    access.passwords.pop(userid, None)
    del access.users[userid]
    return None


@api("DELETE", "/access/roles/{roleid}")
async def role_delete(ctx: Ctx) -> Any:
    """`Role.pm` delete_role: built-in roles stay; ACL entries are left as they are."""
    ctx.check("/access", "Sys.Modify")
    roleid = ctx.params["roleid"]
    access = ctx.state.access
    if roleid in access.builtin_roles:
        raise PveError(500, f"auto-generated role '{roleid}' cannot be deleted")
    if roleid not in access.roles:
        raise PveError(500, f"delete role failed: role '{roleid}' does not exist")
    del access.roles[roleid]
    return None


async def _pool_delete(ctx: Ctx) -> Any:
    """`Pool.pm` delete_pool: only an empty pool."""
    poolid = ctx.params["poolid"]
    ctx.check(f"/pool/{poolid}", "Pool.Allocate")
    access = ctx.state.access
    pool = access.pools.get(poolid)
    fail = "delete pool failed: "
    if pool is None:
        raise PveError(500, f"{fail}pool '{poolid}' does not exist")
    if pool.vms:
        raise PveError(500, f"{fail}pool '{poolid}' is not empty (contains VM {min(pool.vms)})")
    if pool.storage:
        first = sorted(pool.storage)[0]
        raise PveError(500, f"{fail}pool '{poolid}' is not empty (contains storage '{first}')")
    del access.pools[poolid]
    return None


api("DELETE", "/pools/{poolid}")(_pool_delete)
api("DELETE", "/pools")(_pool_delete)


@api("GET", "/nodes/{node}/network")
async def network(ctx: Ctx) -> Any:
    """`Network.pm` index: the node's interfaces (not lo); from PVE 8 a bridge shows only to
    those with SDN.Audit or SDN.Use on /sdn/zones/localnetwork/<bridge> (check_sdn_bridge)."""
    node = ctx.state.node(ctx.params["node"])
    n = list(ctx.state.nodes).index(node.name) + 1
    ifaces = [
        {"iface": "eno1", "type": "eth", "method": "manual", "families": ["inet"], "active": 1,
         "exists": 1, "autostart": 0, "priority": 3},
        {"iface": "vmbr0", "type": "bridge", "method": "static", "families": ["inet"],
         "active": 1, "autostart": 1, "bridge_ports": "eno1", "bridge_stp": "off",
         "bridge_fd": "0", "cidr": f"192.168.1.{10 + n}/24", "address": f"192.168.1.{10 + n}",
         "netmask": "24", "gateway": "192.168.1.1", "priority": 4},
    ]  # fmt: skip
    wanted = ctx.params.get("type")
    out = []
    for iface in ifaces:
        bridge = iface["type"] in ("bridge", "OVSBridge")
        if wanted and not (wanted == iface["type"] or (bridge and wanted.startswith("any"))):
            continue
        if bridge and ctx.state.release.major >= 8 and not _may_use_bridge(ctx, iface["iface"]):
            continue
        out.append(iface)
    return out


def _may_use_bridge(ctx: Ctx, bridge: str) -> bool:
    """RPCEnvironment.pm check_sdn_bridge: the bridge itself, or one of its VLANs."""
    if ctx.user == "root@pam":
        return True
    path = f"/sdn/zones/localnetwork/{bridge}"
    paths = [path] + [p for p in ctx.state.access.acl if p.startswith(path + "/")]
    return any(ctx.allowed(p, "SDN.Audit", "SDN.Use", any_=True) for p in paths)
