"""Deploys of converted store entries against the simulator (time scale 0), over real HTTPS and
SSH: the CasaOS and Big Bear reference stores synced as sources, a sample of their apps deployed
(a single service, a database with generated secrets in a URL, optional media mounts), the one
needing host devices refused unless allowed, and a Runtipi entry from the made-up store."""

from __future__ import annotations

from pathlib import Path

import pytest

from proximity_tui.errors import ValidationError
from proximity_tui.services.catalog.sources import SourceRegistry
from pvesim.testing import simulator_fixture
from tests.integration.services.conftest import make_services

sim = simulator_fixture(nodes=2, time_scale=0.0, seed=17)
RUNTIPI = Path(__file__).resolve().parents[2] / "fixtures" / "runtipi-store"


@pytest.fixture
def services(sim, tmp_path, monkeypatch, reference):
    data = tmp_path / "data"
    monkeypatch.setenv("PROXIMITY_DATA_DIR", str(data))
    registry = SourceRegistry(data / "sources")
    for name, folder in (("casaos", "casaos-appstore"), ("bigbear", "big-bear-casaos")):
        registry.add(name, str(reference(f"app-stores/{folder}")))
        registry.sync(name)
    registry.add("tipi", str(RUNTIPI))
    registry.sync("tipi")
    svc = make_services(sim, tmp_path)
    yield svc
    svc.close(wait=30)


@pytest.mark.parametrize(
    "ref",
    ["bigbear/2fauth", "bigbear/calcom", "casaos/jellyfin", "tipi/jotter", "tipi/oldstyle"],
)
def test_converted_entries_deploy(services, ref):
    entry = services.catalog.get(ref)
    env = {v.name: "given-value-1" for v in entry.env if v.required and v.default is None}
    hostname = ref.replace("/", "-")
    allow = any(w.startswith("devices:") for w in entry.warnings)
    assert allow == (ref == "casaos/jellyfin")  # /dev/dri and the like: refused unless allowed
    if allow:
        with pytest.raises(ValidationError, match="--allow-risks"):
            services.call(services.apps.deploy_app(ref, hostname, environment=env))
    app = services.call(services.apps.deploy_app(ref, hostname, environment=env, allow_risks=allow))
    assert app.status == "running", ref
    web = entry.web_port()
    if web is not None:
        assert app.url and f":{web.number}" in app.url
    compose = services.call(
        services.exec.run(app.node, app.vmid, ["cat", f"/opt/proximity/{hostname}/.env"])
    )
    for var in entry.env:
        if var.secret:
            assert f"{var.name}=" in compose.stdout
