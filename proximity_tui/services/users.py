"""The acting user: the operating-system login running the program, recorded on first use.

The first user ever recorded becomes admin; later ones get `operator`. Roles gate changes:
admins and operators change things, viewers only look.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from sqlalchemy.orm import Session

from proximity_tui.errors import PermissionDenied
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import Database
from proximity_tui.store.models import User

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
    """The login running this process (falls back to the uid when the system has no name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"


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


def require_change(user: UserInfo, action: str) -> None:
    """Refuse a state change by an inactive user or a viewer, with a message that says why."""
    if not user.is_active:
        raise PermissionDenied(f"user {user.username} is disabled and cannot {action}")
    if user.role not in CHANGE_ROLES:
        raise PermissionDenied(f"user {user.username} is a {user.role} and cannot {action}")


def user_info(user: User) -> UserInfo:
    return UserInfo(id=user.id, username=user.username, role=user.role, is_active=user.is_active)
