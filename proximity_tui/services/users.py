"""The acting user: the process's effective uid, recorded on first use.

The identity comes from the operating system (`pwd.getpwuid(os.geteuid())`), never from the
environment: `LOGNAME` and `USER` are set by whoever starts the process. The first user ever
recorded becomes admin; anyone else is a viewer until an admin grants a role
(`proximity-tui users set-role NAME ROLE`). Roles gate changes: admins and operators change
things, viewers only look. Roles are a guard against mistakes by people sharing a host, not a
security boundary: whoever can write the database file can change anything in it.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass

from sqlalchemy.orm import Session

from proximity_tui.errors import PermissionDenied, ValidationError
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import Database
from proximity_tui.store.models import ROLES, User

#: Roles allowed to change state (deploy, start, stop, delete, migrate, ...).
CHANGE_ROLES = ("admin", "operator")


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    role: str
    is_active: bool

    @property
    def can_change(self) -> bool:
        return self.is_active and self.role in CHANGE_ROLES


def os_username() -> str:
    """The name of the effective uid (`uid-N` when the system has no name for it)."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid-{uid}"


def acting_user(db: Database, username: str | None = None) -> UserInfo:
    """The user acting now (the OS user unless `username` is given), created if new."""
    with db.session() as s:
        return user_info(repo.get_or_create_user(s, username or os_username()))


def owner_for_import(s: Session, username: str | None = None) -> User:
    """Who owns imported apps: the first admin; with no user at all, the OS user (who thereby
    becomes the first admin). Runs inside the caller's write session."""
    admin = repo.first_admin(s)
    if admin is not None:
        return admin
    return repo.get_or_create_user(s, username or os_username())


def list_users(db: Database) -> list[UserInfo]:
    with db.session(readonly=True) as s:
        return [user_info(u) for u in repo.list_users(s)]


def require_change(user: UserInfo | None, action: str, *, read_only: bool = False) -> None:
    """The one permission check every change goes through (the services, migrate, catalog
    import, recovery's undo): refuse in read-only mode, or for a disabled user or a viewer."""
    if read_only:
        raise PermissionDenied(f"read-only mode: {action} is not allowed")
    if user is None:
        return
    if not user.is_active:
        raise PermissionDenied(f"user {user.username} is disabled and may not {action}")
    if user.role not in CHANGE_ROLES:
        raise PermissionDenied(
            f"user {user.username} is a {user.role} and may not {action}: viewers only read"
        )


def may_change(user: UserInfo | None, *, read_only: bool = False) -> bool:
    try:
        require_change(user, "change", read_only=read_only)
    except PermissionDenied:
        return False
    return True


def set_role(db: Database, actor: UserInfo, username: str, role: str) -> UserInfo:
    """An admin grants `role` to `username` (recorded if new). Refuses anyone else."""
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}, got {role!r}", field="role")
    require_change(actor, "grant roles")
    if actor.role != "admin":
        raise PermissionDenied(f"user {actor.username} is a {actor.role}: only admins grant roles")
    with db.session() as s:
        user = repo.get_or_create_user(s, username)
        if user.id == actor.id and role != "admin":
            raise ValidationError("an admin cannot demote themselves (another admin can)")
        user.role = role
        s.flush()
        return user_info(user)


def user_info(user: User) -> UserInfo:
    return UserInfo(id=user.id, username=user.username, role=user.role, is_active=user.is_active)
