"""Backup mode and storage: chosen, checked before anything starts (a bad one changes nothing)."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ValidationError
from pvesim.model import GiB, Storage


@pytest.fixture
def nas(sim):
    """A second storage that holds backups on every node (an NFS-like dir, not shared here)."""

    def add():
        for node in sim.state.nodes.values():
            node.storages["nas"] = Storage(
                "nas", "dir", ("backup",), 500 * GiB, path="/mnt/pve/nas"
            )

    def drop():
        for node in sim.state.nodes.values():
            node.storages.pop("nas", None)

    sim.call(add)
    yield "nas"
    sim.call(drop)


def test_backup_goes_where_and_how_it_is_asked(services, hostname, nas):
    apps = services.apps
    app = services.call(apps.deploy_app("whoami", hostname))
    assert set(services.call(apps.backup_storages(app.id))) == {"local", "nas"}
    made = services.call(apps.backup_app(app.id, mode="stop", storage=nas))
    assert made.storage == nas and made.volid.startswith("nas:backup/vzdump-lxc-")
    op = services.call(apps.operations(app_id=app.id))[0]
    lines = [e.message for e in services.call(apps.operation(op.id)).events]
    assert any("backup mode: stop" in line for line in lines), lines
    assert services.call(apps.get_app(app.id)).status == "running"  # vzdump started it again


def test_a_bad_storage_or_mode_changes_nothing(services, hostname):
    apps = services.apps
    app = services.call(apps.deploy_app("whoami", hostname))
    with pytest.raises(
        ValidationError,
        match=r"storage 'local-lvm' does not hold backups on .*"
        r"\(these do: local\)",
    ):
        services.call(apps.backup_app(app.id, storage="local-lvm"))
    with pytest.raises(ValidationError, match="unknown backup mode 'hot'"):
        services.call(apps.backup_app(app.id, mode="hot"))
    assert [op.kind for op in services.call(apps.operations(app_id=app.id))] == ["deploy"]
    assert services.call(apps.list_backups(app.id)) == []
