"""An update says, per service, the image the app runs and the one it moves to; it moves the
compose file to the catalog's images, and a rolled-back update leaves the old ones."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ProximityError
from proximity_tui.services.containers import compose_file
from pvesim.faults import FaultRule

OLD = "traefik/whoami:v1.10.0"
NEW = "traefik/whoami:v1.11.0"  # the bundled catalog's whoami


def compose_in_ct(services, app) -> str:
    exec_ = services.apps.containers.exec
    return services.call(exec_.run(app.node, app.vmid, ["cat", compose_file(app.hostname)])).stdout


def pin_old_image(services, app) -> None:
    text = compose_in_ct(services, app).replace(NEW, OLD)
    exec_ = services.apps.containers.exec
    services.call(
        exec_.push_file(app.node, app.vmid, compose_file(app.hostname), text.encode(), 0o644)
    )


def test_update_shows_and_applies_the_catalog_images(services, faults, hostname):
    apps = services.apps
    app = services.call(apps.deploy_app("whoami", hostname))
    [same] = services.call(apps.update_images(app.id))
    assert (same.service, same.current, same.new, same.changes) == ("whoami", NEW, NEW, False)
    assert "pulls the newest build" in same.line()

    pin_old_image(services, app)
    [change] = services.call(apps.update_images(app.id))
    assert (change.current, change.new) == (OLD, NEW)
    assert change.line() == f"whoami: {OLD} → {NEW}"

    faults.add(FaultRule(command=r"compose .* pull", exit_status=1, stderr="pull access denied"))
    with pytest.raises(ProximityError, match="pull access denied"):
        services.call(apps.update_app(app.id))
    assert OLD in compose_in_ct(services, app)  # rolled back with the container
    faults.clear()

    services.call(apps.update_app(app.id))
    text = compose_in_ct(services, app)
    assert NEW in text and OLD not in text
    op = services.call(apps.operations(app_id=app.id))[0]
    assert (op.kind, op.status) == ("update", "succeeded")
    lines = [e.message for e in services.call(apps.operation(op.id)).events]
    assert f"whoami: {OLD} → {NEW}" in lines
