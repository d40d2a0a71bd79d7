"""The acting user: the effective uid's name, created on first use; the first one is admin,
anyone after a viewer until an admin grants a role (issue 15, point 3)."""

import os
import pwd

import pytest

from proximity_tui.errors import PermissionDenied, ValidationError
from proximity_tui.services import users
from proximity_tui.store import repositories as repo


def test_the_os_user_acts_and_the_first_is_admin(db):
    me = users.acting_user(db)
    assert me.username == pwd.getpwuid(os.geteuid()).pw_name == users.os_username()
    assert (me.role, me.can_change) == ("admin", True)
    assert users.acting_user(db).id == me.id  # created once
    other = users.acting_user(db, "bob")
    assert (other.role, other.can_change) == ("viewer", False)  # unknown: a viewer
    assert [u.username for u in users.list_users(db)] == [me.username, "bob"]


def test_the_identity_is_the_effective_uid_not_the_environment(monkeypatch):
    real = pwd.getpwuid(os.geteuid()).pw_name
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "mallory")
    assert users.os_username() == real != "mallory"


def test_viewers_and_disabled_users_cannot_change(db):
    with db.session() as s:
        repo.get_or_create_user(s, "alice")
        viewer = repo.get_or_create_user(s, "victor")
        viewer_info = users.user_info(viewer)
        viewer.is_active = False
        disabled = users.user_info(viewer)
    with pytest.raises(PermissionDenied, match="victor is a viewer and may not deploy"):
        users.require_change(viewer_info, "deploy")
    with pytest.raises(PermissionDenied, match="disabled"):
        users.require_change(disabled, "deploy")
    with pytest.raises(PermissionDenied, match="read-only mode: deploy is not allowed"):
        users.require_change(users.acting_user(db, "alice"), "deploy", read_only=True)
    users.require_change(users.acting_user(db, "alice"), "deploy")


def test_only_an_admin_grants_roles(db):
    admin = users.acting_user(db, "alice")
    bob = users.acting_user(db, "bob")
    with pytest.raises(PermissionDenied, match="bob is a viewer"):
        users.set_role(db, bob, "bob", "admin")  # a viewer cannot promote themselves
    assert users.set_role(db, admin, "bob", "operator").role == "operator"
    bob = users.acting_user(db, "bob")
    with pytest.raises(PermissionDenied, match="only admins grant roles"):
        users.set_role(db, bob, "carol", "operator")
    with pytest.raises(ValidationError, match="role must be one of"):
        users.set_role(db, admin, "bob", "root")
    with pytest.raises(ValidationError, match="cannot demote themselves"):
        users.set_role(db, admin, "alice", "viewer")
    assert {u.username: u.role for u in users.list_users(db)} == {
        "alice": "admin",
        "bob": "operator",
    }


def test_imported_apps_belong_to_the_first_admin(db):
    with db.session() as s:  # no user yet: the OS user becomes the first admin and the owner
        owner = users.owner_for_import(s, "carol")
        assert (owner.username, owner.role) == ("carol", "admin")
    with db.session() as s:
        assert users.owner_for_import(s, "dave").username == "carol"
