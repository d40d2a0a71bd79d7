"""Static addressing on a bridge without DHCP (`no-dhcp` profile): the early, named DHCP error;
addresses reserved in the database (distinct under concurrency, freed by a failed deploy's undo
and by delete); a clone gets its own address; bad settings are refused before anything changes."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from proximity_tui.config import load_settings, write_config
from proximity_tui.errors import ProximityError, ValidationError
from proximity_tui.services.bootstrap import build_services
from proximity_tui.services.network import parse_pool
from pvesim.faults import FaultRule
from pvesim.server import Simulator

POOL = "10.20.0.100-10.20.0.103/24"
STATIC = {
    "deploy.network": "static",
    "deploy.addresses": POOL,
    "deploy.gateway": "10.20.0.1",
    "deploy.dns": "10.20.0.1",
}


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(nodes=2, time_scale=0.0, seed=31, profiles=["no-dhcp"])
    simulator.start()
    yield simulator
    simulator.stop()


def services_for(sim, tmp_path, **overrides):
    config = tmp_path / "config.toml"
    if not config.exists():
        write_config(config, sim.client_settings(auth="token"))
    settings = load_settings(
        config,
        db_path=tmp_path / "db.sqlite",
        env={},
        overrides={"deploy.health_timeout": 5.0, "deploy.task_timeout": 30.0, **overrides},
    )
    services = build_services(settings)
    services.call(services.connect(monitor=False))
    return services


def held(tmp_path) -> dict[str, str]:
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        return dict(db.execute("SELECT address, app_id FROM addresses").fetchall())


def names(sim) -> set[str]:
    return sim.call(lambda: {g.name for g in sim.state.guests.values()})


def test_dhcp_without_answer_fails_early_naming_the_fix(sim, tmp_path):
    services = services_for(sim, tmp_path, **{"deploy.dhcp_timeout": 1.0})
    try:
        with pytest.raises(ProximityError, match="no DHCP answer on vmbr0 within 1 s") as err:
            services.call(services.apps.deploy_app("whoami", "nolease"))
        assert 'network = "static"' in str(err.value)
        op = services.call(services.apps.operations())[0]
        # The first deploy on a node builds its Docker-ready base, whose CT waits for the lease
        # first (step "template"); with a base already there the app's own CT does ("network").
        assert (op.kind, op.status) == ("deploy", "failed") and op.step in {"template", "network"}
        assert "nolease" not in names(sim) and services.call(services.apps.list_apps()) == []
        assert not any(name.startswith("proximity-base") for name in names(sim))
    finally:
        services.close(wait=30)


def test_static_deploys_get_distinct_addresses_and_release_them(sim, tmp_path):
    services = services_for(sim, tmp_path, **STATIC)
    pool = {str(a) for a in parse_pool(POOL)}
    try:
        apps = services.apps

        async def both():
            return await asyncio.gather(
                apps.deploy_app("whoami", "st-a"), apps.deploy_app("whoami", "st-b")
            )

        a, b = services.call(both())
        addresses = {a.config["address"], b.config["address"]}
        assert len(addresses) == 2 and addresses <= pool
        assert held(tmp_path) == {a.config["address"]: a.id, b.config["address"]: b.id}
        net0 = sim.call(lambda: sim.state.find_ct(a.vmid).config["net0"])
        assert f"ip={a.config['address']}/24" in net0 and "gw=10.20.0.1" in net0
        assert a.url and a.config["address"] in a.url

        # A failed deploy's undo frees what it reserved.
        sim.faults.add(FaultRule(command=r"compose .* pull", exit_status=1, stderr="no pull"))
        with pytest.raises(ProximityError, match="no pull"):
            services.call(apps.deploy_app("whoami", "st-fail"))
        sim.faults.clear()
        assert set(held(tmp_path).values()) == {a.id, b.id}

        copy = services.call(apps.clone_app(a.id, "st-copy"))
        assert copy.config["address"] in pool - addresses
        copy_net0 = sim.call(lambda: sim.state.find_ct(copy.vmid).config["net0"])
        assert f"ip={copy.config['address']}/24" in copy_net0

        services.call(apps.delete_app(a.id))
        assert a.config["address"] not in held(tmp_path)
        again = services.call(apps.deploy_app("whoami", "st-again"))
        assert again.config["address"] == a.config["address"]  # the first free one again
    finally:
        sim.faults.clear()
        services.close(wait=30)


def test_per_deploy_address_and_taken_address(sim, tmp_path):
    services = services_for(sim, tmp_path, **STATIC)
    try:
        app = services.call(
            services.apps.deploy_app("whoami", "st-own", ip="10.20.0.150/24", vlan=12)
        )
        assert app.config["address"] == "10.20.0.150"
        net0 = sim.call(lambda: sim.state.find_ct(app.vmid).config["net0"])
        assert "tag=12" in net0 and "ip=10.20.0.150/24" in net0
        with pytest.raises(ProximityError, match="10.20.0.150 is already held"):
            services.call(services.apps.deploy_app("whoami", "st-dup", ip="10.20.0.150"))
        assert "st-dup" not in names(sim)
    finally:
        services.close(wait=30)


@pytest.mark.parametrize(
    ("overrides", "kwargs", "message"),
    [
        ({**STATIC, "deploy.addresses": "10.20.0.9-10.20.0.3/24"}, {}, "ends before it starts"),
        ({**STATIC, "deploy.addresses": "banana"}, {}, "not an address range"),
        ({**STATIC, "deploy.gateway": ""}, {}, "needs a gateway"),
        ({**STATIC, "deploy.gateway": "10.99.0.1"}, {}, "gateway 10.99.0.1 is not in"),
        ({"deploy.network": "bridge"}, {}, 'must be "dhcp" or "static"'),
        ({}, {"ip": "10.1.2.3"}, "give the prefix"),
        ({}, {"ip": "300.1.2.3/24", "gateway": "10.1.2.1"}, "is not an IPv4 address"),
        (STATIC, {"vlan": 5000}, "VLAN tag is 1-4094"),
        # a gateway with DHCP would be dropped without a word
        ({}, {"gateway": "10.1.2.1"}, "is for a static address"),
        (STATIC, {"ip": "dhcp", "gateway": "10.20.0.1"}, "is for a static address"),
    ],
)
def test_bad_network_settings_change_nothing(sim, tmp_path, overrides, kwargs, message):
    services = services_for(sim, tmp_path, **overrides)
    try:
        before = names(sim)
        with pytest.raises(ValidationError, match=message):
            services.call(services.apps.start_deploy("whoami", "st-bad", **kwargs))
        assert names(sim) == before and services.call(services.apps.operations()) == []
    finally:
        services.close(wait=30)
