"""Running commands in a `ContainerInside` the way `pct exec` does, for the inside-model tests."""

from __future__ import annotations

from dataclasses import dataclass

from pvesim.inside import ContainerInside

DOCKER_OK = {"nesting": "1", "keyctl": "1"}
IP = "10.10.0.42"

COMPOSE_WEB = b"""services:
  web:
    image: nginx:1.29
    ports:
      - "8080:80"
    restart: unless-stopped
"""


@dataclass
class Run:
    status: int
    out: str
    err: str


async def sh(
    ct: ContainerInside,
    script: str,
    *,
    stdin: bytes = b"",
    features: dict[str, str] | None = None,
    ip: str | None = IP,
) -> Run:
    return await argv(ct, ["sh", "-c", script], stdin=stdin, features=features, ip=ip)


async def argv(
    ct: ContainerInside,
    args: list[str],
    *,
    stdin: bytes = b"",
    features: dict[str, str] | None = None,
    ip: str | None = IP,
) -> Run:
    out, err = bytearray(), bytearray()
    status = await ct.exec(
        args,
        stdin=stdin,
        features=DOCKER_OK if features is None else features,
        ip=ip,
        out=out.extend,
        err=err.extend,
    )
    return Run(status, out.decode(), err.decode())


async def docker_ready(ct: ContainerInside) -> None:
    """apk update + docker install + enabled at boot + started, as a deploy does it."""
    r = await sh(
        ct,
        "apk update && apk add docker docker-cli-compose && rc-update add docker default"
        " && service docker start",
    )
    assert r.status == 0, r.err


async def web_up(ct: ContainerInside, compose: bytes = COMPOSE_WEB) -> Run:
    await docker_ready(ct)
    r = await sh(ct, "mkdir -p /opt/app && cat > /opt/app/compose.yaml", stdin=compose)
    assert r.status == 0, r.err
    return await sh(ct, "cd /opt/app && docker compose up -d")
