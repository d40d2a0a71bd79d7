"""Access control (users, tokens, roles, ACLs, effective permissions), pools, the cluster's
storage configuration and the nodes' package versions.

Each handler follows the Proxmox source named on it; the ACL evaluation itself is `acl.py`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from pvesim import versions
from pvesim.acl import Pool, User, normalize_path, perm_denied, valid_path
from pvesim.errors import PveError, param_error
from pvesim.router import Ctx, api

_SPLIT = re.compile(r"[,;\s\0]+")


def _list(text: str | None) -> list[str]:
    return [v for v in _SPLIT.split(text or "") if v]


def _user_of(authid: str) -> str:
    return authid.split("!", 1)[0]


# --- effective permissions ----------------------------------------------------------------


@api("GET", "/access/permissions")
async def permissions(ctx: Ctx) -> Any:
    """pve-access-control `src/PVE/API2/AccessControl.pm` sub `permissions`: one's own (or an
    owned token's) without any privilege, anyone else's with Sys.Audit on /access."""
    access = ctx.state.access
    userid = ctx.params.get("userid") or ctx.user
    if userid != ctx.user and _user_of(userid) != ctx.user:
        ctx.check("/access", "Sys.Audit")
    path = ctx.params.get("path")
    if path:
        return {path: access.permissions(userid, path)}
    return access.effective(userid)


# --- users and tokens ---------------------------------------------------------------------


@api("GET", "/access/users")
async def users(ctx: Ctx) -> Any:
    """`src/PVE/API2/User.pm` index: users one may audit (User.Modify or Sys.Audit on
    /access/groups), always including oneself."""
    access = ctx.state.access
    audit = ctx.allowed("/access/groups", "User.Modify", "Sys.Audit", any_=True)
    out = []
    for userid, user in sorted(access.users.items()):
        if not audit and userid != _user_of(ctx.user):
            continue
        if ctx.params.get("enabled") is not None and user.enable != ctx.params["enabled"]:
            continue
        entry: dict[str, Any] = {"userid": userid, "enable": user.enable, "expire": user.expire}
        if user.comment:
            entry["comment"] = user.comment
        if user.groups:
            entry["groups"] = ",".join(sorted(user.groups))
        entry["realm-type"] = userid.rsplit("@", 1)[1]
        if ctx.params.get("full"):
            entry["tokens"] = [_token_entry(t, tok) for t, tok in sorted(user.tokens.items())]
        out.append(entry)
    return out


@api("POST", "/access/users")
async def user_create(ctx: Ctx) -> Any:
    """`src/PVE/API2/User.pm` create_user: Realm.AllocateUser on the realm, User.Modify on the
    groups; "user 'x' already exists" under lock_user_config's "create user failed"."""
    p = ctx.params
    access = ctx.state.access
    userid = p["userid"]
    realm = userid.rsplit("@", 1)[1]
    ctx.check(f"/access/realm/{realm}", "Realm.AllocateUser")
    groups = _list(p.get("groups"))
    for group in groups:
        ctx.check(f"/access/groups/{group}", "User.Modify")
    if realm not in ("pam", "pve"):
        raise PveError(500, f"create user failed: domain '{realm}' does not exist")
    if userid in access.users:
        raise PveError(500, f"create user failed: user '{userid}' already exists")
    for group in groups:
        if group not in access.groups:
            raise PveError(500, f"create user failed: no such group '{group}'")
    access.users[userid] = User(
        enable=p.get("enable", 1),
        expire=p.get("expire", 0),
        comment=p.get("comment", ""),
        email=p.get("email", ""),
        groups=set(groups),
    )
    for group in groups:
        access.groups[group].add(userid)
    if p.get("password") and realm == "pve":
        access.set_password(userid, p["password"])
    return None


def _token_entry(tokenid: str, token: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"tokenid": tokenid, "privsep": token.privsep, "expire": token.expire}
    if token.comment:
        entry["comment"] = token.comment
    return entry


def _check_token_owner(ctx: Ctx, userid: str) -> Any:
    """`src/PVE/API2/TokenConfig.pm` permissions: the user itself, or User.Modify over it."""
    if userid != ctx.user:
        ctx.check("/access/groups", "User.Modify")
    user = ctx.state.access.users.get(userid)
    if user is None:
        raise PveError(500, f"no such user ('{userid}')")
    return user


@api("GET", "/access/users/{userid}/token")
async def tokens(ctx: Ctx) -> Any:
    user = _check_token_owner(ctx, ctx.params["userid"])
    return [_token_entry(t, tok) for t, tok in sorted(user.tokens.items())]


@api("POST", "/access/users/{userid}/token/{tokenid}")
async def token_create(ctx: Ctx) -> Any:
    """`src/PVE/API2/TokenConfig.pm` generate_token: privsep defaults to 1; the secret is
    shown once, in `value`."""
    p = ctx.params
    userid, tokenid = p["userid"], p["tokenid"]
    user = _check_token_owner(ctx, userid)
    if tokenid in user.tokens:
        raise param_error({"tokenid": "Token already exists."})
    access = ctx.state.access
    token = access.add_token(
        userid, tokenid, privsep=p.get("privsep", 1), expire=p.get("expire", 0),
        comment=p.get("comment", ""),
    )  # fmt: skip
    full = f"{userid}!{tokenid}"
    value = str(uuid.uuid4())
    access.secrets[full] = value
    info: dict[str, Any] = {"privsep": token.privsep}
    if p.get("expire") is not None:
        info["expire"] = token.expire
    if token.comment:
        info["comment"] = token.comment
    return {"full-tokenid": full, "info": info, "value": value}


# --- roles and ACLs -----------------------------------------------------------------------


@api("GET", "/access/roles")
async def roles(ctx: Ctx) -> Any:
    builtin = ctx.state.access.builtin_roles
    return [
        {"roleid": r, "privs": ",".join(sorted(p)), "special": int(r in builtin)}
        for r, p in sorted(ctx.state.access.roles.items())
    ]


@api("POST", "/access/roles")
async def role_create(ctx: Ctx) -> Any:
    """`src/PVE/API2/Role.pm` create_role: Sys.Modify on /access; privileges must be valid
    (`AccessControl.pm` verify_privname: "invalid privilege 'X'")."""
    ctx.check("/access", "Sys.Modify")
    access = ctx.state.access
    roleid = ctx.params["roleid"]
    if ctx.state.release.major >= 8 and roleid.upper().startswith("PVE"):
        msg = "cannot use role ID starting with the (case-insensitive) 'PVE' namespace"
        raise param_error({"roleid": msg})
    privs = _list(ctx.params.get("privs"))
    bad = [priv for priv in privs if priv not in access.valid_privs]
    if bad:
        raise param_error({"privs": f"invalid privilege '{bad[0]}'"})
    if roleid in access.roles:
        raise PveError(500, f"create role failed: role '{roleid}' already exists")
    access.roles[roleid] = frozenset(privs)
    return None


@api("GET", "/access/acl")
async def acl_list(ctx: Ctx) -> Any:
    """`src/PVE/API2/ACL.pm` read_acl: entries on paths whose permissions one may modify."""
    out = []
    for path, subjects in sorted(ctx.state.access.acl.items()):
        if not _may_modify(ctx, path):
            continue
        for (kind, ident), granted in sorted(subjects.items()):
            for role, propagate in sorted(granted.items()):
                out.append(
                    {"path": path, "type": kind, "ugid": ident, "roleid": role,
                     "propagate": propagate}
                )  # fmt: skip
    return out


def _may_modify(ctx: Ctx, path: str) -> bool:
    """RPCEnvironment.pm check_perm_modify: Permissions.Modify, or the allocate privilege of
    the object kind (VM.Allocate on /vms/N, Datastore.Allocate on /storage/S, ...)."""
    wanted = ["Permissions.Modify"]
    for prefix, priv in (("/storage/", "Datastore.Allocate"), ("/vms/", "VM.Allocate"),
                         ("/pool/", "Pool.Allocate")):  # fmt: skip
        if path.startswith(prefix):
            wanted.append(priv)
    return ctx.allowed(path, *wanted, any_=True)


@api("PUT", "/access/acl")
async def acl_update(ctx: Ctx) -> Any:
    """`src/PVE/API2/ACL.pm` update_acl (one needs perm-modify on the path; without
    Permissions.Modify only a subset of one's own privileges can be handed out)."""
    p = ctx.params
    access = ctx.state.access
    if not (p.get("users") or p.get("groups") or p.get("tokens")):
        msg = "either 'users', 'groups' or 'tokens' is required."
        raise param_error({k: msg for k in ("users", "groups", "tokens")})
    path = normalize_path(p["path"])
    if not p.get("delete") and not valid_path(path):
        raise param_error({"path": f"invalid ACL path '{p['path']}'"})
    if not _may_modify(ctx, path):
        raise perm_denied(f"{path}, Permissions.Modify")
    mine = access.permissions(ctx.user, path)
    propagate = 1 if p.get("propagate") is None else int(bool(p["propagate"]))
    node = access.acl.setdefault(path, {})
    for role in _list(p["roles"]):
        if role not in access.roles:
            raise PveError(500, f"role '{role}' does not exist")
        if "Permissions.Modify" not in mine:
            verb = "remove" if p.get("delete") else "add"
            if any(priv not in mine for priv in access.roles[role]) or role == "NoAccess":
                raise param_error(
                    {"role": f"Cannot {verb} role '{role}' - requires 'Permissions.Modify' "
                             "or superset of privileges."}
                )  # fmt: skip
        subjects: list[tuple[str, str]] = []
        for group in _list(p.get("groups")):
            if group not in access.groups:
                raise PveError(500, f"group '{group}' does not exist")
            subjects.append(("group", group))
        for userid in _list(p.get("users")):
            if userid not in access.users:
                raise PveError(500, f"user '{userid}' does not exist")
            subjects.append(("user", userid))
        for tokenid in _list(p.get("tokens")):
            username, _, name = tokenid.partition("!")
            if name not in getattr(access.users.get(username), "tokens", {}):
                raise PveError(500, f"no such token '{name}' for user '{username}'")
            subjects.append(("token", tokenid))
        for subject in subjects:
            if p.get("delete"):
                node.get(subject, {}).pop(role, None)
            else:
                node.setdefault(subject, {})[role] = propagate
    for subject in [s for s, r in node.items() if not r]:
        del node[subject]
    if not node:
        access.acl.pop(path, None)
    return None


# --- pools ----------------------------------------------------------------------------------


@api("GET", "/pools")
async def pools(ctx: Ctx) -> Any:
    """pve-manager `PVE/API2/Pool.pm` index: pools with Pool.Audit, or one pool's members."""
    poolid = ctx.params.get("poolid")
    if poolid:
        return [_pool_info(ctx, poolid, ctx.params.get("type"))]
    out = []
    for name, pool in sorted(ctx.state.access.pools.items()):
        if ctx.allowed(f"/pool/{name}", "Pool.Audit"):
            out.append({"poolid": name, **({"comment": pool.comment} if pool.comment else {})})
    return out


def _pool_info(ctx: Ctx, poolid: str, kind: str | None) -> dict[str, Any]:
    from pvesim import views

    pool = ctx.state.access.pools.get(poolid)
    if pool is None:
        raise PveError(500, f"pool '{poolid}' does not exist")
    s = ctx.state
    members: list[dict[str, Any]] = []
    for vmid in sorted(pool.vms):
        g = s.guests.get(vmid)
        if g is None or (kind is not None and kind != g.type):
            continue
        figures = views.live_figures(g, s.now(), s.nodes.get(g.node))
        members.append(views.resource_guest(g, figures))
    if kind in (None, "storage"):
        first = next(iter(s.nodes.values()))
        for sid in sorted(pool.storage):
            if sid in first.storages:
                members.append(views.resource_storage(first, first.storages[sid]))
    info: dict[str, Any] = {"poolid": poolid, "members": members}
    if pool.comment:
        info["comment"] = pool.comment
    return info


@api("GET", "/pools/{poolid}")
async def pool_get(ctx: Ctx) -> Any:
    ctx.check(f"/pool/{ctx.params['poolid']}", "Pool.Audit")
    info = _pool_info(ctx, ctx.params["poolid"], ctx.params.get("type"))
    info.pop("poolid")
    return info


@api("POST", "/pools")
async def pool_create(ctx: Ctx) -> Any:
    """`PVE/API2/Pool.pm` create_pool: Pool.Allocate on /pool/{poolid}."""
    poolid = ctx.params["poolid"]
    ctx.check(f"/pool/{poolid}", "Pool.Allocate")
    access = ctx.state.access
    if poolid in access.pools:
        raise PveError(500, f"create pool failed: pool '{poolid}' already exists")
    if not re.match(r"[A-Za-z]", poolid.rsplit("/", 1)[-1]):
        raise PveError(500, "create pool failed: pool name must start with a letter")
    access.pools[poolid] = Pool(comment=ctx.params.get("comment", ""))
    return None


async def _pool_update(ctx: Ctx) -> Any:
    """`PVE/API2/Pool.pm` update_pool: Pool.Allocate, and perm-modify on each member."""
    p = ctx.params
    poolid = p["poolid"]
    ctx.check(f"/pool/{poolid}", "Pool.Allocate")
    access = ctx.state.access
    pool = access.pools.get(poolid)
    fail = "update pools failed: "
    if pool is None:
        raise PveError(500, f"{fail}pool '{poolid}' does not exist")
    if p.get("comment") is not None:
        pool.comment = p["comment"]
    for vmid in (int(v) for v in _list(p.get("vms"))):
        if not _may_modify(ctx, f"/vms/{vmid}"):
            raise perm_denied(f"/vms/{vmid}, Permissions.Modify|VM.Allocate")
        if p.get("delete"):
            if vmid not in pool.vms:
                raise PveError(500, f"{fail}VM {vmid} is not a pool member")
            pool.vms.discard(vmid)
            continue
        if vmid in pool.vms:
            raise PveError(500, f"{fail}VM {vmid} is already a pool member")
        other = access.pool_of(vmid)
        if other is not None:
            if not p.get("allow-move"):
                raise PveError(
                    500, f"{fail}VM {vmid} belongs already to pool '{other}' and 'allow-move' "
                    "is not set",
                )  # fmt: skip
            ctx.check(f"/pool/{other}", "Pool.Allocate")
            access.pools[other].vms.discard(vmid)
        pool.vms.add(vmid)
    for sid in _list(p.get("storage")):
        if not _may_modify(ctx, f"/storage/{sid}"):
            raise perm_denied(f"/storage/{sid}, Permissions.Modify|Datastore.Allocate")
        if p.get("delete"):
            if sid not in pool.storage:
                raise PveError(500, f"{fail}Storage '{sid}' is not a pool member")
            pool.storage.discard(sid)
        elif sid in pool.storage:
            raise PveError(500, f"{fail}Storage '{sid}' is already a pool member")
        else:
            pool.storage.add(sid)
    return None


api("PUT", "/pools")(_pool_update)
api("PUT", "/pools/{poolid}")(_pool_update)


# --- storage configuration and packages -------------------------------------------------


@api("GET", "/storage")
async def storage_config(ctx: Ctx) -> Any:
    """pve-storage `src/PVE/API2/Storage/Config.pm` index: storages with Datastore.Audit or
    Datastore.AllocateSpace; storage.cfg is cluster-wide (the same on every node here)."""
    first = next(iter(ctx.state.nodes.values()))
    out = []
    for st in first.storages.values():
        if ctx.params.get("type") and st.type != ctx.params["type"]:
            continue
        if not ctx.allowed(f"/storage/{st.id}", "Datastore.Audit", "Datastore.AllocateSpace",
                           any_=True):  # fmt: skip
            continue
        entry: dict[str, Any] = {"storage": st.id, "type": st.type, "content": ",".join(st.content),
                                 "digest": "0" * 40}  # fmt: skip
        if st.type in ("dir", "nfs") and st.path:
            entry["path"] = st.path
        if st.type == "nfs":
            entry.update(server=st.server, export=st.export, shared=1)
        if st.type == "lvmthin":
            entry.update(thinpool="data", vgname="pve")
        out.append(entry)
    return out


@api("GET", "/nodes/{node}/apt/versions")
async def apt_versions(ctx: Ctx) -> Any:
    """pve-manager `PVE/API2/APT.pm` versions: Sys.Audit on /nodes/{node}."""
    node = ctx.state.node(ctx.params["node"]).name
    ctx.check(f"/nodes/{node}", "Sys.Audit")
    s = ctx.state
    return versions.apt_versions(s.release, runc_broken=s.profile.runc_broken)
