"""apk, OpenRC and Docker inside a CT: install, daemon prerequisites, compose and the web port."""

from __future__ import annotations

import json

import pytest
from inside_helpers import COMPOSE_WEB, docker_ready, sh, web_up

from pvesim.inside import ContainerInside

SOCKET = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?\n"
)


@pytest.fixture
def ct() -> ContainerInside:
    return ContainerInside(120, hostname="web1", time_scale=0)


async def test_apk_needs_an_index_and_a_network(ct):
    r = await sh(ct, "apk add docker")
    assert r.status == 1 and "docker (no such package):\n    required by: world[docker]" in r.err
    offline = await sh(ct, "apk update", ip=None)
    assert offline.status == 2 and "temporary error (try again later)" in offline.err
    assert (await sh(ct, "docker info")).status == 127
    r = await sh(ct, "apk update && apk add docker docker-cli-compose")
    assert r.status == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].startswith("fetch https://dl-cdn.alpinelinux.org/alpine/v3.22/main/")
    assert "OK: 26357 distinct packages available" in lines
    assert any(ln.endswith("Installing docker-engine (28.3.3-r1)") for ln in lines)
    assert lines[-1].startswith("OK: ") and lines[-1].endswith(" packages")
    assert {"docker", "docker-cli-compose", "containerd", "runc"} <= ct.packages
    assert (await sh(ct, "command -v docker && test -x /usr/bin/docker")).status == 0
    again = await sh(ct, "apk add docker")
    assert again.status == 0 and "Installing" not in again.out


async def test_docker_before_its_daemon_runs(ct):
    await sh(ct, "apk update -q && apk add -q docker docker-cli-compose")
    status = await sh(ct, "service docker status")
    assert (status.status, status.out) == (3, " * status: stopped\n")
    r = await sh(ct, "docker ps")
    assert (r.status, r.err) == (1, SOCKET)
    info = await sh(ct, "docker info")
    assert info.status == 1 and info.out.startswith("Client:\n Version:    28.3.3")
    assert SOCKET in info.err


@pytest.mark.parametrize(
    ("features", "reason"),
    [({"nesting": "1"}, "join session keyring"), ({"keyctl": "1"}, "mount overlay")],
)
async def test_daemon_dies_without_the_ct_features(ct, features, reason):
    await sh(ct, "apk update -q && apk add -q docker docker-cli-compose", features=features)
    start = await sh(ct, "service docker start", features=features)
    assert start.status == 1
    assert start.err.endswith(" * ERROR: docker failed to start\n")
    status = await sh(ct, "service docker status", features=features)
    assert (status.status, status.out) == (32, " * status: crashed\n")
    assert reason in (await sh(ct, "cat /var/log/docker.log")).out
    await sh(ct, "mkdir -p /opt/app && cat > /opt/app/compose.yaml", stdin=COMPOSE_WEB)
    up = await sh(ct, "cd /opt/app && docker compose up -d", features=features)
    assert (up.status, up.err) == (1, SOCKET)


async def test_compose_up_ps_wget_logs_down(ct):
    up = await web_up(ct)
    assert up.status == 0, up.err
    assert up.err.splitlines()[-2:] == [
        " Container app-web-1  Starting",
        " Container app-web-1  Started",
    ]  # noqa: E501
    ps = await sh(ct, "docker compose -f /opt/app/compose.yaml ps --format json")
    rows = [json.loads(line) for line in ps.out.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert (row["Name"], row["Service"], row["State"], row["Health"]) == (
        "app-web-1",
        "web",
        "running",
        "",
    )  # noqa: E501
    assert row["Status"].startswith("Up ") and row["Project"] == "app"
    assert {"URL": "0.0.0.0", "TargetPort": 80, "PublishedPort": 8080, "Protocol": "tcp"} in row[
        "Publishers"
    ]  # noqa: E501
    page = await sh(ct, "wget -qO- http://127.0.0.1:8080/")
    assert page.status == 0 and "<title>Welcome to nginx!</title>" in page.out
    refused = await sh(ct, "wget -q --spider http://127.0.0.1:9000/")
    assert refused.status == 1
    assert refused.err == "wget: can't connect to remote host (127.0.0.1): Connection refused\n"
    missing = await sh(ct, "wget -qO- http://localhost:8080/nope")
    assert (missing.status, missing.err) == (
        1,
        "wget: server returned error: HTTP/1.1 404 Not Found\n",
    )  # noqa: E501
    logs = await sh(ct, "cd /opt/app && docker compose logs --tail 2")
    assert logs.out.splitlines()[-1].startswith("web-1  | 172.18.0.1 - - [")
    assert '"GET /nope HTTP/1.1" 404' in logs.out
    again = await sh(ct, "cd /opt/app && docker compose up -d")
    assert " Container app-web-1  Running" in again.err
    down = await sh(ct, "cd /opt/app && docker compose down")
    assert down.status == 0 and " Container app-web-1  Removed" in down.err
    assert " Network app_default  Removed" in down.err
    assert (await sh(ct, "docker compose -f /opt/app/compose.yaml ps -a -q")).out == ""
    gone = await sh(ct, "wget -q --spider http://127.0.0.1:8080/")
    assert gone.status == 1


async def test_env_file_interpolation_and_required_variables(ct):
    await docker_ready(ct)
    compose = b"""services:
  db:
    image: postgres:${PG_TAG:-16}
    environment:
      POSTGRES_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD in .env}
"""
    await sh(ct, "mkdir -p /srv/db && cat > /srv/db/docker-compose.yml", stdin=compose)
    r = await sh(ct, "cd /srv/db && docker compose pull")
    assert r.status == 1
    assert r.err == (
        "error while interpolating services.db.environment.POSTGRES_PASSWORD: required variable "
        "DB_PASSWORD is missing a value: set DB_PASSWORD in .env\n"
    )
    await sh(ct, "printf 'DB_PASSWORD=s3cret\\nPG_TAG=17\\n' > /srv/db/.env")
    r = await sh(ct, "docker compose --project-directory /srv/db up -d")
    assert r.status == 0, r.err
    assert ct.docker.boxes["db-db-1"].image == "postgres:17"
    assert ct.docker.boxes["db-db-1"].env["POSTGRES_PASSWORD"] == "s3cret"
    exported = await sh(ct, "cd /srv/db && PG_TAG=15 docker compose -p other config")
    assert "image: postgres:15" in exported.out


async def test_compose_file_errors(ct):
    await docker_ready(ct)
    none = await sh(ct, "cd /tmp && docker compose up -d")
    assert (none.status, none.err) == (1, "no configuration file provided: not found\n")
    missing = await sh(ct, "docker compose -f /opt/nope.yml pull")
    assert missing.err == "open /opt/nope.yml: no such file or directory\n"
    await sh(ct, "printf 'services:\\n  web:\\n image: x\\n   bad' > /tmp/bad.yml")
    bad = await sh(ct, "docker compose -f /tmp/bad.yml config")
    assert bad.status == 1 and bad.err.startswith("yaml: line ")
    plugin_missing = ContainerInside(121, time_scale=0)
    await sh(plugin_missing, "apk update -q && apk add -q docker && service docker start")
    r = await sh(plugin_missing, "docker compose version")
    assert (r.status, r.err) == (
        1,
        "docker: 'compose' is not a docker command.\nSee 'docker --help'\n",
    )  # noqa: E501


async def test_failing_image_pull(ct):
    ct.failing_images.add("ghcr.io/acme/broken")
    compose = b"services:\n  app:\n    image: ghcr.io/acme/broken:2.0\n"
    await docker_ready(ct)
    await sh(ct, "mkdir -p /opt/b && cat > /opt/b/compose.yaml", stdin=compose)
    r = await sh(ct, "cd /opt/b && docker compose pull")
    assert r.status == 1
    assert r.err.splitlines()[-1] == (
        "Error response from daemon: pull access denied for ghcr.io/acme/broken, repository does "
        "not exist or may require 'docker login': denied: requested access to the resource is "
        "denied"
    )
    ContainerInside.failing_images.add("nginx")
    try:
        other = ContainerInside(122, time_scale=0)
        assert (await web_up(other)).status == 1
    finally:
        ContainerInside.failing_images.discard("nginx")


async def test_health_starts_then_turns_healthy_with_time():
    now = [1_700_000_000.0]
    ct = ContainerInside(123, clock=lambda: now[0], time_scale=0)
    compose = b"""services:
  web:
    image: nginx
    ports: ["127.0.0.1:8081:80/tcp"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 10s
"""
    assert (await web_up(ct, compose)).status == 0
    ct.time_scale = 1.0
    box = ct.docker.boxes["app-web-1"]
    assert ct.docker.health(box) == "starting"
    assert ct.docker.status(box) == "Up Less than a second (health: starting)"
    assert (await sh(ct, "wget -q --spider http://127.0.0.1:8081/")).status == 1  # not up yet
    now[0] += 11
    assert ct.docker.status(box) == "Up 11 seconds (healthy)"
    assert (await sh(ct, "wget -q --spider http://127.0.0.1:8081/")).status == 0
    own_ip = await sh(ct, "wget -q --spider http://10.10.0.42:8081/")
    assert own_ip.status == 1  # published on 127.0.0.1 only


async def test_host_network_uses_the_images_real_port(ct):
    compose = b"""services:
  vaultwarden:
    image: vaultwarden/server:latest
    network_mode: host
    restart: always
  custom:
    image: example/thing:1
    network_mode: host
    expose: ["7000"]
"""
    assert (await web_up(ct, compose)).status == 0
    assert (await sh(ct, "wget -qO- http://127.0.0.1:80/")).status == 0
    assert (await sh(ct, "wget -q --spider http://127.0.0.1:8080/")).status == 1
    assert (await sh(ct, "wget -q --spider http://127.0.0.1:7000/")).status == 0
    row = json.loads(
        (await sh(ct, "docker compose -f /opt/app/compose.yaml ps --format json vaultwarden")).out
    )  # noqa: E501
    assert row["Publishers"] == [] and row["Networks"] == "host"
    assert row["Health"] == "healthy"  # the image's own HEALTHCHECK


async def test_depends_on_healthy_crashing_and_broken_runc(ct):
    compose = b"""services:
  db:
    image: postgres:16
    healthcheck: {test: ["CMD", "pg_isready"], interval: 5s}
  app:
    image: example/crashy
    restart: unless-stopped
    depends_on:
      db: {condition: service_healthy}
"""
    ct.crashing_images.add("example/crashy")
    up = await web_up(ct, compose)
    assert up.status == 0, up.err
    assert " Container app-db-1  Waiting" in up.err and " Container app-db-1  Healthy" in up.err
    assert up.err.index("app-db-1  Started") < up.err.index("app-app-1  Starting")
    box = ct.docker.boxes["app-app-1"]
    assert ct.docker.status(box).startswith("Restarting (1) ") and box.state == "restarting"
    broken = ContainerInside(124, time_scale=0)
    broken.broken_runc = True
    r = await web_up(broken)
    assert r.status == 1 and "open sysctl net.ipv4.ip_unprivileged_port_start" in r.err


async def test_logs_follow_streams_until_the_container_stops(ct):
    import asyncio

    async def until(condition) -> None:
        while not condition():
            await asyncio.sleep(0.02)

    assert (await web_up(ct)).status == 0
    chunks: list[bytes] = []
    follow = asyncio.ensure_future(
        ct.exec(
            ["docker", "compose", "-f", "/opt/app/compose.yaml", "logs", "-f", "--tail", "1"],
            features={"nesting": "1", "keyctl": "1"},
            ip="10.10.0.42",
            out=chunks.append,
            err=lambda b: None,
        )
    )
    await asyncio.wait_for(until(lambda: chunks), 30)  # its last line: following from here
    attached = len(b"".join(chunks))
    await sh(ct, "wget -qO- http://127.0.0.1:8080/ >/dev/null")
    line = b'"GET / HTTP/1.1" 200 615'
    await asyncio.wait_for(until(lambda: line in b"".join(chunks)[attached:]), 30)
    await sh(ct, "docker compose -f /opt/app/compose.yaml stop")
    assert await asyncio.wait_for(follow, 30) == 0


async def test_docker_cli_basics(ct):
    await docker_ready(ct)
    run = await sh(ct, "docker run --rm hello-world")
    assert run.status == 0 and "Hello from Docker!" in run.out
    assert "Unable to find image 'hello-world:latest' locally" in run.err
    assert (await sh(ct, "docker version --format '{{.Server.Version}}'")).out == "28.3.3\n"
    images = await sh(ct, "docker images")
    assert images.out.startswith("REPOSITORY") and "hello-world" in images.out


async def test_debian_apt_and_systemd():
    deb = ContainerInside(130, ostype="debian", release="13", time_scale=0)
    assert (await sh(deb, "apt-get install -y docker.io")).status == 100
    r = await sh(deb, "apt-get update && apt-get install -y docker.io docker-compose")
    assert r.status == 0, r.err
    assert (await sh(deb, "systemctl is-active docker")).out == "active\n"
    assert (await sh(deb, "docker compose version")).out == "Docker Compose version v2.26.1\n"
    old = ContainerInside(131, ostype="debian", release="12", time_scale=0)
    fail = await sh(
        old, "apt-get update && apt-get install -y docker.io", features={"nesting": "1"}
    )  # noqa: E501
    assert (
        fail.status == 100 and "E: Sub-process /usr/bin/dpkg returned an error code (1)" in fail.err
    )  # noqa: E501


async def test_stop_start_restart_ls_and_curl(ct):
    assert (await web_up(ct)).status == 0
    base = "docker compose -f /opt/app/compose.yaml"
    assert (await sh(ct, f"{base} stop")).err == (
        " Container app-web-1  Stopping\n Container app-web-1  Stopped\n"
    )
    assert (await sh(ct, f"{base} ps -q")).out == ""
    listed = await sh(ct, "docker compose ls -a")
    assert listed.out.splitlines()[1].split() == ["app", "exited(1)", "/opt/app/compose.yaml"]
    assert (await sh(ct, f"{base} start")).err.endswith(" Container app-web-1  Started\n")
    restart = await sh(ct, f"{base} restart web")
    assert restart.err == " Container app-web-1  Restarting\n Container app-web-1  Started\n"
    assert (await sh(ct, "curl -fsS http://127.0.0.1:8080/")).status == 127  # not installed
    assert (await sh(ct, "apk add -q curl")).status == 0
    ok = await sh(ct, "curl -fsS -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/")
    assert (ok.status, ok.out) == (0, "200")
    missing = await sh(ct, "curl -fsS http://127.0.0.1:8080/missing")
    assert (missing.status, missing.err) == (
        22,
        "curl: (22) The requested URL returned error: 404\n",
    )  # noqa: E501
    refused = await sh(ct, "curl -fsS http://127.0.0.1:9/")
    assert refused.status == 7 and refused.err.startswith(
        "curl: (7) Failed to connect to 127.0.0.1 port 9"
    )  # noqa: E501
    none = await sh(ct, f"{base} start nosuch")
    assert (none.status, none.err) == (1, "no such service: nosuch\n")


async def test_tcp_ports_answer_nc_not_http(ct):
    compose = b'services:\n  db:\n    image: mariadb:11.4\n    ports: ["3306:3306"]\n'
    assert (await web_up(ct, compose)).status == 0
    assert (await sh(ct, "nc -z -w 2 127.0.0.1 3306")).status == 0
    closed = await sh(ct, "nc -zv 127.0.0.1 3307")
    assert (closed.status, closed.err) == (
        1,
        "nc: 127.0.0.1 (127.0.0.1:3307): Connection refused\n",
    )  # noqa: E501
    http = await sh(ct, "wget -q -O /dev/null http://127.0.0.1:3306/")
    assert (http.status, http.err) == (
        1,
        "wget: error getting response: Connection reset by peer\n",
    )  # noqa: E501


def test_port_syntaxes_and_interpolation_rules():
    from pvesim.inside.compose import ComposeError, _interpolate, parse_ports

    def simple(entry):
        return [(p.host_ip, p.published, p.target, p.protocol) for p in parse_ports(entry, "x")]

    assert simple("8080:80") == [("", 8080, 80, "tcp")]
    assert simple("127.0.0.1:8080:80/tcp") == [("127.0.0.1", 8080, 80, "tcp")]
    assert simple(80) == [("", None, 80, "tcp")]
    assert simple("53:53/udp") == [("", 53, 53, "udp")]
    assert simple("[::1]:9000:9000") == [("::1", 9000, 9000, "tcp")]
    assert simple("8000-8001:8000-8001") == [("", 8000, 8000, "tcp"), ("", 8001, 8001, "tcp")]
    long = {"target": 80, "published": "8081", "host_ip": "0.0.0.0", "protocol": "tcp"}
    assert simple(long) == [("0.0.0.0", 8081, 80, "tcp")]
    for bad in ("abc", "8080:", "70000:80", {"published": 80}):
        with pytest.raises(ComposeError):
            parse_ports(bad, "x")
    warnings: list[str] = []
    env = {"SET": "v", "EMPTY": ""}
    value = "$SET ${EMPTY:-d1} ${EMPTY-d2} ${UNSET} $$literal ${SET:+alt}"
    assert _interpolate(value, env, "p", warnings) == "v d1   $literal alt"
    assert warnings == ['The "UNSET" variable is not set. Defaulting to a blank string.']
    with pytest.raises(ComposeError, match="required variable EMPTY is missing a value$"):
        _interpolate("${EMPTY:?}", env, "services.a.image", [])
