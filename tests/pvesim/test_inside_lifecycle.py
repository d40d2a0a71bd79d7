"""The hooks the cluster state calls: boot, shutdown, load, clone, persistence, pushed files."""

from __future__ import annotations

import json

import pytest
from inside_helpers import docker_ready, sh, web_up

from pvesim.inside import ContainerInside

APPS = b"""services:
  web:
    image: nginx
    ports: ["8080:80"]
    restart: unless-stopped
  once:
    image: redis:7
  held:
    image: grafana/grafana
    ports: ["3000:3000"]
    restart: unless-stopped
"""


@pytest.fixture
async def running() -> ContainerInside:
    ct = ContainerInside(140, hostname="apps", time_scale=0)
    assert (await web_up(ct, APPS)).status == 0
    assert (await sh(ct, "docker compose -f /opt/app/compose.yaml stop held")).status == 0
    return ct


async def states(ct: ContainerInside) -> dict[str, str]:
    out = (await sh(ct, "docker compose -f /opt/app/compose.yaml ps -a --format json")).out
    return {row["Service"]: row["State"] for row in map(json.loads, out.splitlines())}


async def test_shutdown_stops_everything_and_boot_brings_back_restart_policies(running):
    cpu, mem = running.load()
    assert cpu > 0 and mem > 45 * 1024 * 1024
    running.on_stop()
    assert running.load() == (0.0, 0) and not running.docker.running
    assert running.docker.boxes["app-web-1"].state == "exited"
    running.on_start("10.10.0.77", hostname="renamed")
    assert running.docker.running
    assert await states(running) == {"web": "running", "once": "exited", "held": "exited"}
    r = await sh(running, "hostname; cat /etc/hostname; ip -4 addr show eth0", ip="10.10.0.77")
    assert r.out.splitlines()[:2] == ["renamed", "renamed"]
    assert "    inet 10.10.0.77/24 brd 10.10.0.255 scope global eth0" in r.out


async def test_docker_stays_down_at_boot_unless_enabled():
    ct = ContainerInside(141, time_scale=0)
    await sh(ct, "apk update -q && apk add -q docker docker-cli-compose && service docker start")
    ct.on_stop()
    ct.on_start("10.10.0.5")
    assert not ct.docker.running
    await sh(ct, "rc-update add docker default")
    ct.on_stop()
    ct.on_start("10.10.0.5", features={"nesting": "1"})
    assert ct.docker.daemon == "crashed"  # keyctl missing: it tried and died
    ct.on_stop()
    ct.on_start("10.10.0.5", features={"nesting": "1", "keyctl": "1"})
    assert ct.docker.running


async def test_load_grows_with_running_apps():
    ct = ContainerInside(142, time_scale=0)
    await docker_ready(ct)
    _, idle = ct.load()
    await web_up(ct, APPS)
    _, busy = ct.load()
    assert busy > idle + 90 * 1024 * 1024


async def test_clone_is_an_independent_stopped_copy(running):
    copy = running.clone()
    assert not copy.booted and not copy.docker.running and copy.ip is None
    copy.write_file("/root/only-in-copy", b"x")
    assert not running.exists("/root/only-in-copy")
    assert running.docker.boxes["app-web-1"].state == "running"
    copy.on_start("10.10.0.90")
    assert await states(copy) == {"web": "running", "once": "exited", "held": "exited"}
    assert copy.docker.boxes["app-web-1"].id == running.docker.boxes["app-web-1"].id


async def test_state_survives_json(running):
    data = json.loads(json.dumps(running.to_dict()))
    back = ContainerInside.from_dict(data, time_scale=0)
    assert back.read_file("/opt/app/compose.yaml") == APPS
    assert back.packages == running.packages and back.enabled == {"docker"}
    assert await states(back) == await states(running)
    page = await sh(back, "wget -qO- http://127.0.0.1:8080/")
    assert page.status == 0 and "Welcome to nginx" in page.out


async def test_files_for_pct_push():
    ct = ContainerInside(143, time_scale=0)
    ct.write_file("/root/script.sh", b"echo pushed\n", mode=0o755)
    assert ct.exists("/root/script.sh") and ct.fs.mode("/root/script.sh") == 0o755
    assert (await sh(ct, "sh /root/script.sh")).out == "pushed\n"
    with pytest.raises(FileNotFoundError):
        ct.write_file("/no/such/dir/file", b"x")
    with pytest.raises(FileNotFoundError):
        ct.read_file("/root/missing")
    with pytest.raises(IsADirectoryError):
        ct.write_file("/root", b"x")
    assert not ct.exists("/no/such/dir/file")


def test_unknown_ostype_is_refused():
    with pytest.raises(ValueError, match="ostype"):
        ContainerInside(144, ostype="centos")
