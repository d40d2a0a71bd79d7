"""Every CT we create carries its identity in its description (docs/ct-identity.md), kept current
by clone, update and restore, and never a secret (against the simulator, real SQLite)."""

from __future__ import annotations

from proximity_tui.services.identity import HEADER, parse


def ct_description(services, app) -> str:
    return services.call(services.client.ct_config(app.node, app.vmid)).description


def secrets_of(services, app) -> list[str]:
    values = services.call(services.apps.records.secret_values(app.id))
    assert values, "the test needs an app with generated secrets"
    return values


def test_deploy_and_clone_write_the_block_without_secrets(services, hostname):
    app = services.call(services.apps.deploy_app("vaultwarden", hostname))
    text = ct_description(services, app)
    found = parse(text)
    assert found is not None and text.startswith(HEADER)
    assert (found.app_id, found.catalog_id, found.hostname) == (app.id, "vaultwarden", hostname)
    assert found.catalog_source == "bundled" and found.version == app.config["version"]
    assert found.owner == services.user.username and found.created is not None
    assert found.compose_file == ""
    for value in secrets_of(services, app):
        assert value not in text

    copy = services.call(services.apps.clone_app(app.id, f"{hostname}-c"))
    cloned = parse(ct_description(services, copy))
    assert cloned is not None
    assert (cloned.app_id, cloned.hostname, cloned.catalog_id) == (
        copy.id,
        copy.hostname,
        "vaultwarden",
    )
    # The copy keeps its source's compose project, so the block says where it is.
    assert cloned.compose_file == f"/opt/proximity/{hostname}/compose.yaml"
    for value in secrets_of(services, copy):
        assert value not in ct_description(services, copy)


def test_update_and_restore_bring_the_block_back_keeping_user_text(services, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    # Someone edits the notes in the web UI: the block is replaced by the legacy form, with text;
    # a backup is taken of that.
    legacy = f"Managed by Proximity TUI\napp-id: {app.id}\nmy notes: keep me\n"
    services.call(services.client.set_ct_config(app.node, app.vmid, description=legacy))
    backup = services.call(services.apps.backup_app(app.id))

    services.call(services.apps.update_app(app.id))
    text = ct_description(services, app)
    found = parse(text)
    assert found is not None and found.app_id == app.id and "my notes: keep me" in text

    # The archive brings back the legacy description; restore writes the block again.
    services.call(services.apps.restore_app(app.id, backup.volid))
    text = ct_description(services, app)
    found = parse(text)
    assert found is not None and found.hostname == hostname and "my notes: keep me" in text
