"""Export and import of the installation (issue 18): apps deployed against the simulator, real
SQLite files; the export of one database imported into an empty one gives the same app list, and
operations run on it; no secret in an export made without --with-secrets."""

from __future__ import annotations

import stat

import pytest

from proximity_tui.errors import PermissionDenied
from proximity_tui.services.catalog.sources import SourceRegistry
from proximity_tui.services.transfer.installation import (
    export_installation,
    import_installation,
    read_export,
    write_export,
)
from proximity_tui.services.transfer.sealed import SealError
from proximity_tui.services.users import acting_user
from proximity_tui.store import repositories as repo
from tests.integration.services.conftest import make_services


def listing(services) -> list[tuple]:
    apps = services.call(services.apps.list_apps())
    return sorted((a.id, a.hostname, a.vmid, a.node, a.status, a.url, a.owner) for a in apps)


def raw_env(services, app_id: str) -> dict:
    with services.db.session(readonly=True) as s:
        return dict(repo.get_app(s, app_id).environment)


def test_export_then_import_into_an_empty_database(sim, faults, tmp_path, hostname):
    a = make_services(sim, tmp_path, name="a.sqlite")
    b = None
    try:
        vault = a.call(a.apps.deploy_app("vaultwarden", f"{hostname}-v"))
        who = a.call(a.apps.deploy_app("whoami", f"{hostname}-w"))
        backup = a.call(a.apps.backup_app(who.id))
        secrets = a.call(a.apps.records.secret_values(vault.id))
        assert secrets
        with a.db.session() as s:
            repo.get_or_create_user(s, "bob").role = "operator"
            repo.set_setting(s, "ui.theme", "nord")
        registry = SourceRegistry(tmp_path / "sources")
        (tmp_path / "store").mkdir()
        registry.add("mystore", str(tmp_path / "store"), "native")

        plain = tmp_path / "plain.yaml"
        write_export(plain, export_installation(a.db, registry))
        assert stat.S_IMODE(plain.stat().st_mode) == 0o600
        data = plain.read_bytes()
        assert not any(value.encode() in data for value in secrets)
        doc = read_export(plain)
        assert f"{vault.id}: ADMIN_TOKEN" in doc["secrets_omitted"] and "secrets" not in doc

        sealed = tmp_path / "sealed.yaml"
        write_export(sealed, export_installation(a.db, registry, passphrase="correct horse"))
        assert not any(value.encode() in sealed.read_bytes() for value in secrets)

        b = make_services(sim, tmp_path, name="b.sqlite")
        other = SourceRegistry(tmp_path / "sources-b")
        actor = acting_user(b.db)
        with pytest.raises(SealError):  # a wrong passphrase changes nothing
            import_installation(b.db, read_export(sealed), other, actor, passphrase="wrong one!")
        assert b.call(b.apps.list_apps()) == [] and other.all() == []

        report = import_installation(
            b.db, read_export(sealed), other, actor, passphrase="correct horse"
        )
        assert report.skipped == [] and report.secrets == len(secrets)
        assert listing(b) == listing(a)
        assert raw_env(b, vault.id) == raw_env(a, vault.id)  # secrets restored exactly
        with b.db.session(readonly=True) as s:
            assert repo.get_user_by_username(s, "bob").role == "operator"
            assert repo.get_setting(s, "ui.theme") == "nord"
        assert [src.name for src in other.all()] == ["mystore"]
        assert [x.volid for x in b.call(b.apps.list_backups(who.id))] == [backup.volid]
        history = b.call(b.apps.operations())
        assert history[0].kind == "import" and history[0].status == "succeeded"

        # Imported again: everything is there already, each app skipped with the reason.
        again = import_installation(b.db, read_export(plain), other, actor)
        assert again.apps == [] and len(again.skipped) == 2

        # The imported apps work against the same cluster, their backups too.
        assert b.call(b.apps.stop_app(vault.id)).status == "stopped"
        assert b.call(b.apps.start_app(vault.id)).status == "running"
        assert b.call(b.apps.restore_app(who.id, backup.volid)).status == "running"
    finally:
        a.close(wait=30)
        if b is not None:
            b.close(wait=30)


def test_without_secrets_the_import_leaves_them_out_and_only_admins_import(
    sim, faults, tmp_path, hostname
):
    a = make_services(sim, tmp_path, name="src.sqlite")
    b = make_services(sim, tmp_path, name="dst.sqlite")
    try:
        vault = a.call(a.apps.deploy_app("vaultwarden", f"{hostname}-v"))
        path = tmp_path / "plain.yaml"
        write_export(path, export_installation(a.db, None))
        admin = acting_user(b.db)
        with b.db.session() as s:
            repo.get_or_create_user(s, "viewer-vic")
            repo.get_or_create_user(s, "oscar").role = "operator"
        with pytest.raises(PermissionDenied, match="viewers only read"):
            import_installation(b.db, read_export(path), None, acting_user(b.db, "viewer-vic"))
        with pytest.raises(PermissionDenied, match="only admins"):
            import_installation(b.db, read_export(path), None, acting_user(b.db, "oscar"))
        assert b.call(b.apps.list_apps()) == []

        report = import_installation(b.db, read_export(path), None, admin)
        assert report.apps == [vault.id] and report.secrets == 0
        assert "ADMIN_TOKEN" not in raw_env(b, vault.id)
        assert raw_env(b, vault.id).items() <= raw_env(a, vault.id).items()
    finally:
        a.close(wait=30)
        b.close(wait=30)
