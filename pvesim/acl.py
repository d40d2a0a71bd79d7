"""Users, API tokens, roles, pools and the ACL tree, evaluated as Proxmox VE evaluates them.

Sources (pve-access-control): `src/PVE/AccessControl.pm` ($privgroups / create_roles for the
built-in roles, sub `roles` for the walk down an ACL path, check_path, normalize_path),
`src/PVE/RPCEnvironment.pm` (sub `permissions` and $compile_acl_path: pool roles, tokens with
privilege separation holding only the intersection of their own grants and their user's;
`get_effective_permissions`; `check` / `check_any` raising "Permission check failed (path,
priv)"). `root@pam` can do anything; a token without privsep has its user's privileges.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from pvesim.errors import PveError

# AccessControl.pm $privgroups: per category the root-only, admin, user and audit privileges.
_PRIVGROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "VM": {
        "root": (),
        "admin": (
            "VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network",
            "VM.Config.HWType", "VM.Config.Options", "VM.Allocate", "VM.Clone",
            "VM.GuestAgent.Unrestricted", "VM.Migrate", "VM.Replicate", "VM.Snapshot",
            "VM.Snapshot.Rollback",
        ),
        "user": (
            "VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console", "VM.Backup",
            "VM.GuestAgent.FileRead", "VM.GuestAgent.FileSystemMgmt", "VM.GuestAgent.FileWrite",
            "VM.PowerMgmt",
        ),
        "audit": ("VM.Audit", "VM.GuestAgent.Audit"),
    },
    "Sys": {
        "root": ("Sys.PowerMgmt", "Sys.Modify", "Sys.Incoming", "Sys.AccessNetwork"),
        "admin": ("Sys.Console", "Sys.Syslog"),
        "user": (),
        "audit": ("Sys.Audit",),
    },
    "Datastore": {
        "root": (),
        "admin": ("Datastore.Allocate", "Datastore.AllocateTemplate"),
        "user": ("Datastore.AllocateSpace",),
        "audit": ("Datastore.Audit",),
    },
    "SDN": {
        "root": (),
        "admin": ("SDN.Allocate", "SDN.Audit"),
        "user": ("SDN.Use",),
        "audit": ("SDN.Audit",),
    },
    "User": {
        "root": ("Realm.Allocate",),
        "admin": ("User.Modify", "Group.Allocate", "Realm.AllocateUser"),
        "user": (),
        "audit": (),
    },
    "Pool": {
        "root": (), "admin": ("Pool.Allocate",), "user": ("Pool.Audit",), "audit": ("Pool.Audit",),
    },
    "Mapping": {
        "root": (),
        "admin": ("Mapping.Modify",),
        "user": ("Mapping.Use",),
        "audit": ("Mapping.Audit",),
    },
}  # fmt: skip


#: Privileges PVE 7 did not have: SDN.Use and the resource mappings came with pve-access-control
#: 8.0.0~3 (debian/changelog: "add new SDN.Use privilege in PVESDNUser role", "add privileges
#: and paths for cluster resource mapping").
NEW_IN_8 = frozenset({"SDN.Use", "Mapping.Audit", "Mapping.Modify", "Mapping.Use"})


def _builtin_roles(
    missing: frozenset[str] = frozenset(),
) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """AccessControl.pm create_roles: PVE<Cat>Admin / PVE<Cat>User / PVEAuditor / PVEAdmin."""
    valid = {"Permissions.Modify"}
    roles: dict[str, set[str]] = {"NoAccess": set()}
    for cat, all_groups in _PRIVGROUPS.items():
        groups = {k: tuple(p for p in v if p not in missing) for k, v in all_groups.items()}
        for kind in ("root", "admin", "user", "audit"):
            valid.update(groups[kind])
        for priv in groups["admin"] + groups["user"] + groups["audit"]:
            roles.setdefault(f"PVE{cat}Admin", set()).add(priv)
            roles.setdefault("PVEAdmin", set()).add(priv)
        if groups["user"]:
            for priv in groups["user"] + groups["audit"]:
                roles.setdefault(f"PVE{cat}User", set()).add(priv)
        for priv in groups["audit"]:
            roles.setdefault("PVEAuditor", set()).add(priv)
    roles["PVEAdmin"].discard("Mapping.Modify")
    roles["PVETemplateUser"] = {"VM.Clone", "VM.Audit"}
    roles["Administrator"] = set(valid)
    return frozenset(valid), {k: frozenset(v) for k, v in roles.items()}


VALID_PRIVS, BUILTIN_ROLES = _builtin_roles()
#: AccessControl.pm check_path: the ACL paths PVE accepts.
_PATH_OK = re.compile(
    r"/|/access|/access/groups(/[\w.\-]+)?|/access/realm(/[\w.\-]+)?|/nodes(/[\w.\-]+)?|/pool"
    r"|/pool/[A-Za-z0-9.\-_]+(/[A-Za-z0-9.\-_]+){0,2}|/sdn|/sdn/zones(/[\w.\-]+(/[\w.\-]+"
    r"(/[1-9][0-9]{0,3})?)?)?|/storage(/[\w.\-]+)?|/vms(/[1-9][0-9]{2,})?|/mapping(/[\w.\-]+){0,2}"
)
#: RPCEnvironment.pm get_effective_permissions: the paths always reported.
_EFFECTIVE_PATHS = ("/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms")


def normalize_path(path: str) -> str:
    """AccessControl.pm normalize_path: one leading slash, no doubled or trailing slash."""
    path = "/" + re.sub(r"/+", "/", path.strip()).strip("/")
    return path


def valid_path(path: str) -> bool:
    return _PATH_OK.fullmatch(path) is not None


def perm_denied(what: str | None = None) -> PveError:
    """PVE::Exception raise_perm_exc: 403 "Permission check failed (what)"."""
    return PveError(403, f"Permission check failed ({what})" if what else "Permission check failed")


@dataclass
class Token:
    privsep: int = 1
    expire: int = 0
    comment: str = ""


@dataclass
class User:
    enable: int = 1
    expire: int = 0
    comment: str = ""
    email: str = ""
    groups: set[str] = field(default_factory=set)
    tokens: dict[str, Token] = field(default_factory=dict)


@dataclass
class Pool:
    comment: str = ""
    vms: set[int] = field(default_factory=set)
    storage: set[str] = field(default_factory=set)


#: One ACL entry's subject: ("user" | "token" | "group", id).
Subject = tuple[str, str]


class AccessControl:
    """user.cfg in memory: users and their tokens, groups, roles, pools, and the ACL."""

    def __init__(self, major: int = 9) -> None:
        self.valid_privs, self.builtin_roles = (
            _builtin_roles(NEW_IN_8) if major < 8 else (VALID_PRIVS, BUILTIN_ROLES)
        )
        self.users: dict[str, User] = {"root@pam": User(comment="")}
        self.groups: dict[str, set[str]] = {}
        self.roles: dict[str, frozenset[str]] = dict(self.builtin_roles)
        self.pools: dict[str, Pool] = {}
        #: path -> subject -> role -> propagate (0/1)
        self.acl: dict[str, dict[Subject, dict[str, int]]] = {}
        #: Full token id -> secret (the authenticator reads the same dict).
        self.secrets: dict[str, str] = {}
        #: userid -> sha256 of its password (pve realm users the setup creates).
        self.passwords: dict[str, str] = {}

    def set_password(self, userid: str, password: str) -> None:
        self.passwords[userid] = hashlib.sha256(password.encode()).hexdigest()

    def password_ok(self, userid: str, password: str) -> bool:
        want = self.passwords.get(userid)
        got = hashlib.sha256(password.encode()).hexdigest()
        user = self.users.get(userid)
        return (
            want is not None
            and user is not None
            and bool(user.enable)
            and hmac.compare_digest(want, got)
        )

    # --- evaluation ------------------------------------------------------------------------

    def _roles(self, authid: str, path: str) -> dict[str, int]:
        """AccessControl.pm sub roles: the deepest level with an entry for the token, else the
        user, else its groups, wins; entries above the path count only if they propagate."""
        parts = [p for p in path.split("/") if p]
        levels = ["/"] + ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
        roles: dict[str, int] = {}
        for i, level in enumerate(levels):
            final = i == len(levels) - 1
            entries = self.acl.get(level, {})
            subjects: list[list[Subject]] = [[("token", authid)], [("user", authid)]]
            subjects.append(
                [("group", g) for g, members in self.groups.items() if authid in members]
            )
            for group in subjects:
                new: dict[str, int] = {}
                for subject in group:
                    for role, propagate in entries.get(subject, {}).items():
                        if final or propagate:
                            new[role] = propagate
                if new:
                    roles = new
                    break
        if "NoAccess" in roles:
            return {"NoAccess": roles["NoAccess"]}
        return roles

    def _compile(self, authid: str, path: str) -> dict[str, int]:
        """RPCEnvironment.pm $compile_acl_path: ACL roles plus what a pool hands its members."""
        roles = self._roles(authid, path)
        pool_roles: dict[str, int] = {}
        for name, pool in self.pools.items():
            granted = self._roles(authid, f"/pool/{name}")
            members = {f"/vms/{v}" for v in pool.vms} | {f"/storage/{s}" for s in pool.storage}
            if granted and path in members:
                pool_roles.update(dict.fromkeys(granted, 1))
        if pool_roles and "NoAccess" not in roles:
            if "NoAccess" in pool_roles:
                roles = {"NoAccess": 0}
            else:
                for role in pool_roles:
                    roles.setdefault(role, 0)
        privs: dict[str, int] = {}
        for role, propagate in roles.items():
            for priv in self.roles.get(role, ()):
                privs[priv] = privs.get(priv) or propagate
        return privs

    def permissions(self, authid: str, path: str) -> dict[str, int]:
        """RPCEnvironment.pm sub permissions: privilege -> propagate bit for `authid` at `path`."""
        if authid == "root@pam":
            return dict.fromkeys(self.roles["Administrator"], 1)
        if "!" in authid:
            username, tokenid = authid.split("!", 1)
            user = self.users.get(username)
            token = user.tokens.get(tokenid) if user else None
            if token is None:
                return {}
            user_privs = self.permissions(username, path)
            if not token.privsep:
                return user_privs
            privs = self._compile(authid, path)
            if username != "root@pam":
                privs = {
                    p: int(bool(user_privs[p] and v)) for p, v in privs.items() if p in user_privs
                }
            return privs
        user = self.users.get(authid)
        if user is None or not user.enable:
            return {}
        return self._compile(authid, path)

    def unrestricted(self, authid: str) -> bool:
        """root@pam, or a token of root's without privilege separation: every check passes."""
        if authid == "root@pam":
            return True
        user, _, tokenid = authid.partition("!")
        token = self.users["root@pam"].tokens.get(tokenid) if user == "root@pam" else None
        return token is not None and not token.privsep

    def effective(self, authid: str) -> dict[str, dict[str, int]]:
        """RPCEnvironment.pm get_effective_permissions: every path of interest with privileges."""
        paths = dict.fromkeys(_EFFECTIVE_PATHS)
        paths.update(dict.fromkeys(self.acl))
        for pool in self.pools.values():
            paths.update(dict.fromkeys(f"/vms/{v}" for v in sorted(pool.vms)))
            paths.update(dict.fromkeys(f"/storage/{s}" for s in sorted(pool.storage)))
        out = {}
        for path in paths:
            privs = self.permissions(authid, path)
            if privs:
                out[path] = privs
        return out

    def allowed(
        self, authid: str, path: str, privs: tuple[str, ...], *, any_: bool = False
    ) -> bool:
        have = self.permissions(authid, path)
        found = [p in have for p in privs]
        return any(found) if any_ else all(found)

    def check(self, authid: str, path: str, privs: tuple[str, ...], *, any_: bool = False) -> None:
        """RPCEnvironment.pm check / check_any: 403 naming the path and the missing privilege."""
        have = self.permissions(authid, path)
        if any_:
            if not any(p in have for p in privs):
                raise perm_denied(f"{path}, {'|'.join(privs)}")
            return
        for priv in privs:
            if priv not in have:
                raise perm_denied(f"{path}, {priv}")

    def check_vm(self, authid: str, vmid: int, pool: str | None, privs: tuple[str, ...]) -> None:
        """RPCEnvironment.pm check_vm_perm: the pool's grant, else the guest's own."""
        if pool and self.allowed(authid, f"/pool/{pool}", privs):
            return
        self.check(authid, f"/vms/{vmid}", privs)

    def add_token(self, userid: str, tokenid: str, *, privsep: int = 1, expire: int = 0,
                  comment: str = "") -> Token:  # fmt: skip
        token = Token(privsep=privsep, expire=expire, comment=comment)
        self.users[userid].tokens[tokenid] = token
        return token

    def pool_of(self, vmid: int) -> str | None:
        return next((n for n, p in self.pools.items() if vmid in p.vms), None)

    def remove_vm(self, vmid: int) -> None:
        """AccessControl.pm remove_vm_access: a destroyed guest leaves its ACLs and pool."""
        self.acl.pop(f"/vms/{vmid}", None)
        for pool in self.pools.values():
            pool.vms.discard(vmid)

    # --- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "users": {
                uid: {
                    "enable": u.enable,
                    "expire": u.expire,
                    "comment": u.comment,
                    "email": u.email,
                    "groups": sorted(u.groups),
                    "tokens": {t: vars(tok) for t, tok in u.tokens.items()},
                }
                for uid, u in self.users.items()
            },
            "groups": {g: sorted(m) for g, m in self.groups.items()},
            "roles": {r: sorted(p) for r, p in self.roles.items() if r not in self.builtin_roles},
            "pools": {
                n: {"comment": p.comment, "vms": sorted(p.vms), "storage": sorted(p.storage)}
                for n, p in self.pools.items()
            },
            "acl": [
                [path, kind, ident, role, propagate]
                for path, subjects in self.acl.items()
                for (kind, ident), roles in subjects.items()
                for role, propagate in roles.items()
            ],
            "secrets": dict(self.secrets),
            "passwords": dict(self.passwords),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], major: int = 9) -> AccessControl:
        ac = cls(major)
        for uid, u in data.get("users", {}).items():
            ac.users[uid] = User(
                enable=int(u.get("enable", 1)),
                expire=int(u.get("expire", 0)),
                comment=u.get("comment", ""),
                email=u.get("email", ""),
                groups=set(u.get("groups", ())),
                tokens={t: Token(**tok) for t, tok in u.get("tokens", {}).items()},
            )
        ac.groups = {g: set(m) for g, m in data.get("groups", {}).items()}
        ac.roles.update({r: frozenset(p) for r, p in data.get("roles", {}).items()})
        for name, p in data.get("pools", {}).items():
            ac.pools[name] = Pool(p.get("comment", ""), set(p["vms"]), set(p["storage"]))
        ac.secrets.update(data.get("secrets", {}))
        ac.passwords.update(data.get("passwords", {}))
        for path, kind, ident, role, propagate in data.get("acl", ()):
            ac.acl.setdefault(path, {}).setdefault((kind, ident), {})[role] = int(propagate)
        return ac
