"""Viewers and read-only mode change nothing; generated secrets never reach the journal."""

from __future__ import annotations

import pytest

from proximity_tui.errors import PermissionDenied
from proximity_tui.store import repositories as repo
from proximity_tui.store.models import OperationEvent
from tests.integration.services.conftest import guests_named


def all_calls(apps, app_id: str):
    return {
        "deploy": lambda: apps.deploy_app("whoami", "viewer-app"),
        "start": lambda: apps.start_app(app_id),
        "stop": lambda: apps.stop_app(app_id),
        "restart": lambda: apps.restart_app(app_id),
        "delete": lambda: apps.delete_app(app_id),
        "clone": lambda: apps.clone_app(app_id, "viewer-clone"),
        "backup": lambda: apps.backup_app(app_id),
        "restore": lambda: apps.restore_app(app_id, "local:backup/x.tar.zst"),
        "delete_backup": lambda: apps.delete_backup(app_id, "local:backup/x.tar.zst"),
        "update": lambda: apps.update_app(app_id),
        "reveal": lambda: apps.reveal_secret(app_id, "X"),
        "set_env": lambda: apps.set_env(app_id, {"WHOAMI_NAME": "x"}),
    }


@pytest.mark.parametrize("mode", ["viewer", "read_only"])
def test_every_change_is_refused(sim, services, hostname, mode):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    before = len(services.call(services.apps.operations()))
    if mode == "viewer":
        with services.db.session() as s:
            user = repo.get_user(s, services.user.id)
            user.role = "viewer"
        from proximity_tui.services.users import acting_user

        services.apps.user = acting_user(services.db, services.user.username)
    else:
        services.apps.read_only = True
    assert not services.apps.can_change
    for name, call in all_calls(services.apps, app.id).items():
        with pytest.raises(PermissionDenied):
            services.call(call())
        assert len(services.call(services.apps.operations())) == before, name
    assert services.apps.actions_for(services.call(services.apps.get_app(app.id))) <= {"logs"}
    assert guests_named(sim, "viewer-app") == [] and guests_named(sim, "viewer-clone") == []
    assert services.call(services.apps.get_app(app.id)).status == "running"


def test_generated_secrets_never_reach_the_journal(sim, services, hostname):
    entry = services.catalog.get("vaultwarden") if "vaultwarden" in services.catalog else None
    catalog_id = "vaultwarden" if entry and entry.secret_names() else "nextcloud"
    app = services.call(services.apps.deploy_app(catalog_id, hostname))
    names = app.secret_names
    assert names, "the test needs an app with generated secrets"
    secrets = [services.call(services.apps.reveal_secret(app.id, n)) for n in names]
    assert all(len(s) >= 8 for s in secrets)
    assert all(app.environment[n] == "********" for n in names)
    services.call(services.apps.restart_app(app.id))
    services.call(services.apps.delete_app(app.id))
    with services.db.session(readonly=True) as s:
        texts = [e.message for e in s.query(OperationEvent).all()]
        texts += [
            str(op.parameters) + str(op.result) + str(op.error)
            for op in repo.list_operations(s, limit=None)
        ]
    blob = "\n".join(texts)
    for secret in secrets:
        assert secret not in blob
