"""A Docker-ready base that carries apps' images (`prepare NODE --with APP`, issue 19): their
deploys pull nothing and start the app while the CT waits for its DHCP lease; stale images and
apps that need their address wait for it as before; a failure meanwhile leaves nothing behind.
Against the simulator over HTTPS and SSH (time scale 0) with a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from proximity_tui.errors import NotFoundError, ProximityError
from proximity_tui.services.base_images import normalize
from proximity_tui.services.events import LOG
from pvesim.faults import FaultRule
from tests.integration.services.conftest import bases_on, guests_named, inside
from tests.pvesim.sim_helpers import wait_until

NODE = "pve1"
INTERFACES = "/nodes/*/lxc/*/interfaces"
#: `compose pull` as the deploy runs it when it pulls (not `up --pull never`).
PULL = r"compose -f \S+ pull"


def _bases(sim) -> list[tuple[int, dict]]:
    return bases_on(sim, NODE)


def _steps_of(services, prefix: str) -> list[str | None]:
    """The steps under which log lines starting with `prefix` are written, as they come."""
    seen: list[str | None] = []

    def note(event) -> None:
        if event.kind == LOG and event.message.startswith(prefix):
            seen.append(event.step)

    services.apps.events.subscribe(note)
    return seen


def _app_running(sim, hostname: str) -> bool:
    guests = guests_named(sim, hostname)
    if not guests:
        return False
    boxes = inside(sim, guests[0].vmid).docker.boxes.values()
    return any(b.state == "running" for b in boxes)


@pytest.fixture
def carrying(sim, services) -> int:
    """The node's base, carrying whoami's image (and what an earlier test added); its vmid."""
    result = services.call(services.apps.prepare_node(NODE, with_apps=["whoami"]))
    image = normalize(services.apps.catalog.get("whoami").images()[0])
    assert image in result["images"].split()
    [(vmid, conf)] = [b for b in _bases(sim) if b[0] == result["vmid"]]
    assert f"images: {image}" in conf["description"] and "images-pulled: 20" in conf["description"]
    assert inside(sim, vmid).docker.has_image(image)
    return vmid


def test_the_app_starts_before_the_lease_and_pulls_nothing(
    sim, services, faults, hostname, carrying
):
    faults.add(FaultRule(command=PULL, exit_status=18, stderr="no pull expected", times=None))
    addressed = _steps_of(services, "eth0: ")
    gate = faults.hold(method="GET", path=INTERFACES)
    deploy = services.runtime.submit(services.apps.deploy_app("whoami", hostname, node=NODE))
    assert gate.wait_until(lambda g: g.holding == 1, timeout=60)
    # The address is still being asked for, and the app's container already runs.
    wait_until(lambda: _app_running(sim, hostname), timeout=60)
    assert not deploy.done()
    gate.open()
    view = deploy.result(timeout=120)
    assert view.status == "running" and view.url and view.config["address"] in view.url
    assert addressed and addressed[0] != "network"  # seen while a later step ran
    [guest] = guests_named(sim, hostname)
    compose = inside(sim, guest.vmid).read_file(f"/opt/proximity/{hostname}/compose.yaml")
    assert b"start_interval: 1s" in compose


def test_stale_images_are_pulled_after_the_lease(sim, services, faults, hostname, carrying):
    old = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")

    def age():
        conf = sim.state.guests[carrying].config
        lines = conf["description"].splitlines()
        kept = [line for line in lines if not line.startswith("images-pulled:")]
        conf["description"] = "\n".join([*kept, f"images-pulled: {old}"]) + "\n"

    sim.call(age)
    stale = _steps_of(services, "the base's copy of the app's images is 30 days old")
    addressed = _steps_of(services, "eth0: ")
    pulls = faults.hold(command=PULL)  # held, then run: the deploy pulls
    deploy = services.runtime.submit(services.apps.deploy_app("whoami", hostname + "s", node=NODE))
    assert pulls.wait_until(lambda g: g.holding == 1, timeout=60)
    pulls.open()
    assert deploy.result(timeout=120).status == "running"
    assert stale == ["template"] and addressed == ["network"]


def test_an_app_that_needs_its_address_waits_for_the_lease(sim, services, hostname, carrying):
    services.call(services.apps.prepare_node(NODE, with_apps=["whoami", "ntfy"]))
    addressed = _steps_of(services, "eth0: ")
    view = services.call(services.apps.deploy_app("ntfy", hostname + "n", node=NODE))
    assert view.status == "running" and addressed == ["network"]
    [guest] = guests_named(sim, hostname + "n")
    env = inside(sim, guest.vmid).read_file(f"/opt/proximity/{hostname}n/.env")
    assert view.config["address"].encode() in env


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule(command=r"up -d --pull never", exit_status=1, stderr="compose: boom"),
        FaultRule(method="GET", path=INTERFACES, http_status=500, message="boom", times=None),
    ],
    ids=["compose-fails-while-the-lease-is-awaited", "the-lease-never-comes"],
)
def test_a_failure_while_the_app_starts_early_leaves_nothing(
    sim, services, faults, hostname, carrying, rule
):
    if rule.command:
        gate = faults.hold(method="GET", path=INTERFACES)  # the lease is still awaited
    faults.add(rule)
    with pytest.raises(ProximityError):
        services.call(services.apps.deploy_app("whoami", hostname + "f", node=NODE), timeout=120)
    if rule.command:
        gate.open()
    assert guests_named(sim, hostname + "f") == []
    assert hostname + "f" not in {a.hostname for a in services.call(services.apps.list_apps())}
    assert [v for v, _ in _bases(sim)] == [carrying]  # the base stays


def test_an_unknown_app_builds_nothing(sim, services, carrying):
    with pytest.raises(NotFoundError, match="no-such-app"):
        services.call(services.apps.prepare_node(NODE, with_apps=["whoami", "no-such-app"]))
    assert [v for v, _ in _bases(sim)] == [carrying]


def test_a_rebuilt_base_carries_the_images_on(sim, services, carrying):
    result = services.call(services.apps.prepare_node(NODE, rebuild=True))
    assert result["vmid"] != carrying
    assert normalize(services.apps.catalog.get("whoami").images()[0]) in result["images"].split()
    assert [v for v, _ in _bases(sim)] == [result["vmid"]]  # the old one retired


def test_base_apps_in_the_config_rebuild_a_base_that_lacks_them(sim, services, hostname):
    node = "pve2"
    plain = services.call(services.apps.prepare_node(node))
    assert "images" not in plain
    services.settings.deploy.base_apps = ["uptime-kuma", "no-such-app"]
    kuma = normalize(services.apps.catalog.get("uptime-kuma").images()[0])
    doctor = services.call(services.doctor())
    lines = [c.detail for c in doctor.named(f"docker base: {node}")]
    assert any(f"does not carry {kuma} ([deploy] base_apps)" in line for line in lines), lines
    assert any("no-such-app" in c.detail for c in doctor.checks if c.name == "docker base")

    warned = _steps_of(services, "[deploy] base_apps: ")
    view = services.call(services.apps.deploy_app("whoami", hostname + "c", node=node))
    assert view.status == "running" and warned == ["template"]  # the unknown app, named
    [(vmid, conf)] = bases_on(sim, node)  # the plain one retired
    assert vmid != plain["vmid"] and f"images: {kuma}" in conf["description"]
    doctor = services.call(services.doctor())
    [after] = doctor.named(f"docker base: {node}")
    assert after.status == "ok" and f"carries {kuma}" in after.detail, after
