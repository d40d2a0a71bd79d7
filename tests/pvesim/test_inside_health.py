"""When Docker probes a HEALTHCHECK (moby daemon/health.go), hence when a container is healthy."""

from __future__ import annotations

import pytest
from inside_helpers import sh, web_up

from pvesim.inside import ContainerInside
from pvesim.inside.health import Healthcheck

KUMA = Healthcheck(interval=60, timeout=30, retries=5, start_period=180)


@pytest.mark.parametrize(
    ("check", "ready", "healthy"),
    [
        (Healthcheck(), 0.5, 30.0),  # no start period: the first probe after the interval
        (Healthcheck(interval=10), 12.0, 20.0),  # then every interval
        (KUMA, 4.0, 5.0),  # a start period: probes every start interval (5 s) meanwhile
        (KUMA, 11.0, 15.0),
        (KUMA, 0.0, 5.0),  # the first probe is never at the start itself
        (Healthcheck(start_period=12, interval=60), 20.0, 75.0),  # 5, 10, 15 then 15 + 60
        (Healthcheck(start_period=10, start_interval=2), 3.0, 4.0),
    ],
)
def test_probe_schedule(check: Healthcheck, ready: float, healthy: float):
    assert check.healthy_at(ready) == healthy


def test_unhealthy_counts_failures_from_the_end_of_the_start_period():
    assert Healthcheck().unhealthy_at() == 90.0  # 30, 60, 90: three failing probes
    assert KUMA.unhealthy_at() == 180.0 + 4 * 60.0  # 180 is the first counted of five


def test_compose_fields_inherit_the_images():
    mine = Healthcheck(interval=10).over(KUMA)
    assert mine == Healthcheck(interval=10, timeout=30, retries=5, start_period=180)
    assert Healthcheck(interval=10).over(None) == Healthcheck(interval=10)


async def test_the_images_own_healthcheck_turns_healthy_at_its_first_start_probe():
    """uptime-kuma answers 4 s after its start; Docker 28 probes at 5 s (start interval): healthy
    then, not after its 60 s interval. A compose `start_interval` moves that probe."""
    now = [1_700_000_000.0]
    ct = ContainerInside(124, clock=lambda: now[0], time_scale=0)
    compose = b"""services:
  kuma:
    image: louislam/uptime-kuma:1
  slow:
    image: louislam/uptime-kuma:1
    healthcheck:
      start_interval: 7s
"""
    assert (await web_up(ct, compose)).status == 0
    ct.time_scale = 1.0
    kuma, slow = ct.docker.boxes["app-kuma-1"], ct.docker.boxes["app-slow-1"]
    now[0] += 4.9
    assert (ct.docker.health(kuma), ct.docker.health(slow)) == ("starting", "starting")
    now[0] += 0.2
    assert (ct.docker.health(kuma), ct.docker.health(slow)) == ("healthy", "starting")
    now[0] += 2
    assert ct.docker.health(slow) == "healthy"
    ps = await sh(ct, "docker ps --format '{{.Status}}'")
    assert "(healthy)" in ps.out and "starting" not in ps.out


@pytest.mark.parametrize(
    ("conf_d", "answers_after"),
    [
        (None, 3.5),  # `need net`: the 2 s lease, then the daemon's 1.5 s start
        ('DOCKER_OPTS=""\nrc_need="!net"\n', 1.5),  # the need dropped: it starts at boot
    ],
)
async def test_docker_at_boot_waits_for_the_network_unless_told_not_to(conf_d, answers_after):
    """Alpine's docker init script needs `net` (aports docker.initd); `rc_need="!net"` in its
    conf.d removes that need (OpenRC librc-depend.c)."""
    now = [1_700_000_000.0]
    ct = ContainerInside(125, clock=lambda: now[0], time_scale=0)
    assert (await web_up(ct)).status == 0  # docker installed, enabled, an app with a policy
    if conf_d is not None:
        assert (await sh(ct, f"printf '{conf_d}' > /etc/conf.d/docker")).status == 0
    ct.on_stop()
    ct.time_scale = 1.0
    features = {"nesting": "1", "keyctl": "1"}
    ct.on_start("10.10.0.42", features=features, net_after=2.0)
    now[0] += answers_after - 0.1
    assert not ct.docker.running
    assert (await sh(ct, "docker info")).status == 1
    now[0] += 0.2
    assert ct.docker.running
    assert (await sh(ct, "docker info >/dev/null")).status == 0


async def test_a_ct_booted_before_its_inside_was_made_has_docker_at_once():
    ct = ContainerInside(126, time_scale=1.0)
    ct.enabled.add("docker")
    ct.packages.update({"docker-engine", "docker-cli"})
    ct.on_start("10.10.0.43", features={"nesting": "1", "keyctl": "1"})
    assert ct.docker.running


async def test_an_override_without_a_test_on_an_image_without_a_check_adds_none():
    """A compose `healthcheck:` that sets only `start_interval` takes the image's test (moby
    `daemon/commit.go` merge); whoami's image has no HEALTHCHECK, so there is no check at all:
    no `(health: ...)` in `docker ps`, and the container counts as up, not `starting`."""
    now = [1_700_000_000.0]
    ct = ContainerInside(125, clock=lambda: now[0], time_scale=0)
    compose = b"""services:
  who:
    image: traefik/whoami:v1.11.0
    healthcheck:
      start_interval: 1s
  kuma:
    image: louislam/uptime-kuma:1
    healthcheck:
      start_interval: 1s
"""
    assert (await web_up(ct, compose)).status == 0
    ct.time_scale = 1.0
    who, kuma = ct.docker.boxes["app-who-1"], ct.docker.boxes["app-kuma-1"]
    assert who.healthcheck is None and kuma.healthcheck is not None
    now[0] += 4.1  # uptime-kuma answers at 4 s: probed every second, healthy at the 4th
    assert ct.docker.health(kuma) == "healthy"
    ps = await sh(ct, "docker ps --format '{{.Names}} {{.Status}}'")
    who_line = next(line for line in ps.out.splitlines() if line.startswith("app-who-1"))
    assert "health" not in who_line
