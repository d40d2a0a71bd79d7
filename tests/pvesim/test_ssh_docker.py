"""A whole deploy over SSH as Proximity does it: keyctl set with pct, Docker installed, compose
up, the web port answering inside the CT; and the same without keyctl failing like Docker does."""

from __future__ import annotations

import json
import shlex

from ssh_helpers import connect, new_ct, run

COMPOSE = b"""services:
  web:
    image: nginx:1.29
    ports: ["8080:80"]
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "wget", "-q", "--spider", "http://localhost/"]
      interval: 10s
"""
INSTALL = (
    "apk update && apk add docker docker-cli-compose && rc-update add docker default"
    " && service docker start"
)


async def pct_sh(conn, vmid: int, script: str, stdin: bytes | None = None):
    return await run(conn, "pct", "exec", vmid, "--", "sh", "-c", script, stdin=stdin)


async def test_docker_install_compose_up_and_web_port(info, px, sim):
    node = info.nodes[0]
    vmid = new_ct(px, node, 920, start=False)
    async with await connect(info, node) as conn:
        assert (
            await run(conn, "pct", "set", vmid, "-features", "nesting=1,keyctl=1")
        ).exit_status == 0  # noqa: E501
        assert (await run(conn, "pct", "start", vmid)).exit_status == 0
        addr = await pct_sh(conn, vmid, "ip -4 addr show eth0")
        assert b"    inet 10.10." in addr.stdout
        install = await pct_sh(conn, vmid, INSTALL)
        assert install.exit_status == 0, install.stderr
        assert b" * Starting Docker Daemon ... [ ok ]\n" in install.stdout
        write = await pct_sh(
            conn, vmid, "mkdir -p /opt/web && cat > /opt/web/compose.yaml", COMPOSE
        )  # noqa: E501
        assert write.exit_status == 0
        up = await pct_sh(conn, vmid, "cd /opt/web && docker compose pull && docker compose up -d")
        assert up.exit_status == 0, up.stderr
        assert b" Container web-web-1  Started\n" in up.stderr
        ps = await pct_sh(conn, vmid, "docker compose -f /opt/web/compose.yaml ps --format json")
        row = json.loads(ps.stdout)
        assert (row["State"], row["Health"], row["Name"]) == ("running", "healthy", "web-web-1")
        page = await pct_sh(conn, vmid, "wget -qO- http://127.0.0.1:8080/")
        assert page.exit_status == 0 and b"<title>Welcome to nginx!</title>" in page.stdout
        # a reboot keeps Docker and the app: enabled at boot, restart policy
        assert (await run(conn, "pct", "reboot", vmid)).exit_status == 0
        again = await pct_sh(conn, vmid, "wget -q --spider http://127.0.0.1:8080/ && echo up")
        assert again.stdout == b"up\n"
    load = sim.call(lambda: sim.state.guests[vmid].inside.load())
    assert load[1] > 0


async def test_without_keyctl_docker_fails_like_the_real_thing(info, px):
    node = info.nodes[0]
    vmid = new_ct(px, node, 921)  # nesting=1 only, as a token may create it
    async with await connect(info, node) as conn:
        install = await pct_sh(conn, vmid, INSTALL)
        assert install.exit_status == 1
        assert install.stderr.endswith(b" * ERROR: docker failed to start\n")
        await pct_sh(conn, vmid, "mkdir -p /opt/web && cat > /opt/web/compose.yaml", COMPOSE)
        up = await pct_sh(conn, vmid, "cd /opt/web && docker compose up -d")
        assert up.exit_status == 1
        assert up.stderr == (
            b"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
            b"Is the docker daemon running?\n"
        )
        log = await pct_sh(conn, vmid, "cat /var/log/docker.log")
        assert b"join session keyring" in log.stdout


async def test_logs_follow_stream_stops_with_the_channel(info, px):
    node = info.nodes[0]
    vmid = new_ct(px, node, 922, start=False)
    async with await connect(info, node) as conn:
        await run(conn, "pct", "set", vmid, "-features", "nesting=1,keyctl=1")
        await run(conn, "pct", "start", vmid)
        await pct_sh(conn, vmid, INSTALL)
        await pct_sh(conn, vmid, "mkdir -p /opt/web && cat > /opt/web/compose.yaml", COMPOSE)
        await pct_sh(conn, vmid, "cd /opt/web && docker compose up -d")
        script = "cd /opt/web && docker compose logs -f --tail 1"
        proc = await conn.create_process(
            shlex.join(["pct", "exec", str(vmid), "--", "sh", "-c", script])
        )  # noqa: E501
        first = await proc.stdout.readline()
        assert first.startswith("web-1  | ")
        await pct_sh(conn, vmid, "wget -qO- http://127.0.0.1:8080/ >/dev/null")
        hit = await proc.stdout.readline()
        assert '"GET / HTTP/1.1" 200 615' in hit
        proc.close()
        await proc.wait_closed()
        still = await pct_sh(conn, vmid, "echo alive")
        assert still.stdout == b"alive\n"


async def test_apps_survive_a_simulator_restart_with_state(tmp_path):
    from sim_helpers import px_token

    from pvesim.server import Simulator

    state = tmp_path / "state.json"
    first = Simulator(nodes=1, time_scale=0, state_file=state)
    info = first.start()
    try:
        node = info.nodes[0]
        vmid = new_ct(px_token(info), node, 950, start=False)
        async with await connect(info, node) as conn:
            await run(conn, "pct", "set", vmid, "-features", "nesting=1,keyctl=1")
            await run(conn, "pct", "start", vmid)
            assert (await pct_sh(conn, vmid, INSTALL)).exit_status == 0
            await pct_sh(conn, vmid, "mkdir -p /opt/web && cat > /opt/web/compose.yaml", COMPOSE)
            assert (
                await pct_sh(conn, vmid, "cd /opt/web && docker compose up -d")
            ).exit_status == 0
    finally:
        first.stop()
    second = Simulator(nodes=1, time_scale=0, state_file=state)
    info = second.start()
    try:
        async with await connect(info, info.nodes[0]) as conn:
            probe = "wget -qO- http://127.0.0.1:8080/ | grep -q 'Welcome to nginx' && echo served"
            page = await pct_sh(conn, vmid, probe)
            assert (page.exit_status, page.stdout) == (0, b"served\n")
            files = await pct_sh(conn, vmid, "cat /opt/web/compose.yaml")
            assert files.stdout == COMPOSE
    finally:
        second.stop()
