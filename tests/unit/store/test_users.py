"""The acting user: the OS login, created on first use; the first one is admin."""

import getpass

import pytest

from proximity_tui.errors import PermissionDenied
from proximity_tui.services import users
from proximity_tui.store import repositories as repo


def test_the_os_user_acts_and_the_first_is_admin(db):
    me = users.acting_user(db)
    assert me.username == getpass.getuser() == users.os_username()
    assert (me.role, me.can_change) == ("admin", True)
    assert users.acting_user(db).id == me.id  # created once
    other = users.acting_user(db, "bob")
    assert other.role == "operator"
    assert [u.username for u in users.list_users(db)] == [me.username, "bob"]


def test_viewers_and_disabled_users_cannot_change(db):
    with db.session() as s:
        repo.get_or_create_user(s, "alice")
        viewer = repo.get_or_create_user(s, "victor", default_role="viewer")
        viewer_info = users.user_info(viewer)
        viewer.is_active = False
        disabled = users.user_info(viewer)
    with pytest.raises(PermissionDenied, match="victor is a viewer and cannot deploy"):
        users.require_change(viewer_info, "deploy")
    with pytest.raises(PermissionDenied, match="disabled"):
        users.require_change(disabled, "deploy")
    users.require_change(users.acting_user(db, "alice"), "deploy")


def test_imported_apps_belong_to_the_first_admin(db):
    with db.session() as s:  # no user yet: the OS user becomes the first admin and the owner
        owner = users.owner_for_import(s, "carol")
        assert (owner.username, owner.role) == ("carol", "admin")
    with db.session() as s:
        assert users.owner_for_import(s, "dave").username == "carol"
