"""What `setup` will do, decided before anything changes (every refusal happens here).

The setup runs as root@pam (password or a root@pam token): only it may create users, roles,
pools and ACLs everywhere (`POST /access/users` needs Realm.AllocateUser, `POST /access/roles`
Sys.Modify on /access, `PUT /access/acl` Permissions.Modify on the path: pve-access-control
`src/PVE/API2/User.pm`, `Role.pm`, `ACL.pm`). The plan reads the host (version, users, roles,
pools, storages) and refuses a name that already exists, so nothing is half made.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from proximity_tui.errors import ProximityError, ValidationError
from proximity_tui.services.doctor.privileges import grant_paths, role_privileges
from proximity_tui.services.doctor.versions import major_of

if TYPE_CHECKING:
    from proximity_tui.config import Settings
    from proximity_tui.proxmox.client import ProxmoxClient

# Proxmox's own formats (pve-access-control `src/PVE/Auth/Plugin.pm` user and realm,
# `src/PVE/AccessControl.pm` token id and role id; pve-common `pve-poolid`).
USER_RE = re.compile(r"^[^\s:/]{1,60}@[A-Za-z][A-Za-z0-9.\-_]{1,31}$")
TOKEN_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.\-_]{1,63}$")
ROLE_RE = re.compile(r"^[A-Za-z0-9.\-_]{1,60}$")
POOL_RE = re.compile(r"^[A-Za-z0-9.\-_]{1,60}$")


class SetupConflict(ProximityError):
    """A name setup would create already exists: nothing was changed."""

    exit_code = 2


@dataclass(frozen=True)
class SetupNames:
    user: str = "proximity@pve"
    role: str = "Proximity"
    pool: str = "proximity"
    token: str = "proximity"  # noqa: S105 - the token id, not its secret

    def validate(self) -> None:
        for value, rx, what, flag in (
            (self.user, USER_RE, "user (name@realm)", "--user"),
            (self.token, TOKEN_RE, "token id", "--token"),
            (self.role, ROLE_RE, "role", "--role"),
            (self.pool, POOL_RE, "pool", "--pool"),
        ):
            if not isinstance(value, str) or not rx.match(value):
                raise ValidationError(f"{flag}: not a valid Proxmox {what}: {value!r}", field=flag)
        if self.user.endswith("@pam"):
            raise ValidationError(
                "--user: a @pam user needs a Linux account on every node; use the pve realm "
                f"(e.g. {self.user.split('@')[0]}@pve)",
                field="--user",
            )


@dataclass
class SetupPlan:
    names: SetupNames
    pve_major: int | None
    privileges: tuple[str, ...]
    #: ACL paths the role is granted on, to the user and its token.
    paths: list[str]
    storages: list[str] = field(default_factory=list)

    @property
    def token_id(self) -> str:
        return f"{self.names.user}!{self.names.token}"

    def pveum_commands(self) -> list[str]:
        """The same changes as `pveum` commands, for `--dry-run` (run them as root on a node)."""
        n = self.names
        cmds = [
            ["pveum", "role", "add", n.role, "--privs", ",".join(self.privileges)],
            ["pveum", "user", "add", n.user, "--comment", "Proximity TUI"],
            ["pveum", "pool", "add", n.pool, "--comment", "apps deployed by Proximity TUI"],
            ["pveum", "user", "token", "add", n.user, n.token, "--privsep", "1"],
        ]
        for path in self.paths:
            cmds.append(
                [
                    "pveum",
                    "acl",
                    "modify",
                    path,
                    "--roles",
                    n.role,
                    "--users",
                    n.user,
                    "--tokens",
                    self.token_id,
                ]  # fmt: skip
            )
        return [shlex.join(c) for c in cmds]


def _ids(rows: object, key: str) -> set[str]:
    return {str(r.get(key)) for r in rows or [] if isinstance(r, dict)}  # type: ignore[attr-defined]


async def plan_setup(client: ProxmoxClient, settings: Settings, names: SetupNames) -> SetupPlan:
    """Check the caller and the names, read what the grants need; changes nothing."""
    names.validate()
    caller = settings.proxmox.user
    if caller != "root@pam":
        raise ValidationError(
            f"setup must run as root@pam (password or a root@pam token); the config uses "
            f"{caller}. Nothing was changed.",
            field="proxmox.user",
        )
    version = await client.connect()
    major = major_of(version.version)
    existing = (
        ("user", names.user, _ids(await client.request("GET", "access", "users"), "userid")),
        ("role", names.role, _ids(await client.request("GET", "access", "roles"), "roleid")),
        ("pool", names.pool, _ids(await client.request("GET", "pools"), "poolid")),
    )
    for what, name, known in existing:
        if name in known:
            raise SetupConflict(
                f"{what} {name} already exists on the host: choose another name (--{what}) or "
                f"remove it first. Nothing was changed."
            )
    deploy = settings.deploy
    storages = [deploy.storage, deploy.template_storage]
    backup = deploy.backup_storage or await _backup_storage(client)
    if backup:
        storages.append(backup)
    storages = list(dict.fromkeys(storages))
    return SetupPlan(
        names=names,
        pve_major=major,
        privileges=role_privileges(major),
        paths=grant_paths(
            pool=names.pool, storages=storages, bridge=deploy.bridge, pve_major=major
        ),
        storages=storages,
    )


async def _backup_storage(client: ProxmoxClient) -> str | None:
    """The storage backups would go to when none is configured: the first that holds them."""
    nodes = [n.name for n in await client.nodes() if n.online]
    if not nodes:
        return None
    for st in sorted(await client.storages(nodes[0], content="backup"), key=lambda s: s.storage):
        if st.usable and st.accepts("backup"):
            return st.storage
    return None
