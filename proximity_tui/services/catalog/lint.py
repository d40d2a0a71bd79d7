"""Finding the defects a compose recipe can have, for warnings on imported entries and as the
bar every bundled entry must clear.

Each finding is `code: message`. `DEFECTS` would break a deploy or leak a secret; `NOTES` are worth
telling the user (host networking on its own works, but ignores the published ports).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from proximity_tui.services.catalog.model import RUNTIME_VARIABLES, CatalogEntry, compose_variables

DEFECTS = (
    "host-network-names",
    "hard-coded-secret",
    "unpinned-image",
    "undeclared-variable",
    "variable-in-ports",
    "web-port-unpublished",
    "no-health",
)
NOTES = ("host-network",)
#: What an unprivileged LXC cannot give a container: a deploy refuses these unless overridden.
UNPRIVILEGED_RISKS = ("privileged", "devices", "docker-socket", "gpu", "host-network-names")

#: Keys whose value is a credential. `_FILE` variants point at a file and are fine.
SECRET_KEY = re.compile(
    r"(PASS(WORD|WD)?|SECRET|TOKEN|SALT|(API|APP|AUTH|ENCRYPTION|MASTER|PRIVATE|SIGNING|"
    r"SESSION|SECRET)_?KEY)(?!_FILE)(_|$)",
    re.IGNORECASE,
)
#: Secret-looking keys that hold a duration (`API_ACCESS_TOKEN_TTL`, `TOKEN_LIFETIME_MIN`).
NOT_SECRET_KEY = re.compile(r"(TTL|LIFETIME|EXPIR|TIMEOUT|_TIME)", re.IGNORECASE)
NOT_A_SECRET = {"", "true", "false", "yes", "no", "0", "1", "on", "off", "none", "null"}
URL_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]+:([^@\s]+)@", re.IGNORECASE)
HOST_KEY = re.compile(r"(HOST|HOSTNAME|SERVER|ADDR|ADDRESS|URL|URI|DSN|ENDPOINT)S?$", re.I)


def is_secret_key(key: str) -> bool:
    return SECRET_KEY.search(key) is not None and NOT_SECRET_KEY.search(key) is None


def unprivileged_risks(entry: CatalogEntry) -> list[str]:
    """The warnings of `entry` a deploy refuses unless the user overrides them."""
    return [w for w in entry.warnings if w.split(":", 1)[0] in UNPRIVILEGED_RISKS]


def lint_entry(entry: CatalogEntry) -> list[str]:
    """Every finding for one entry, in a stable order."""
    return [f"{code}: {message}" for code, message in findings(entry)]


def findings(entry: CatalogEntry) -> Iterator[tuple[str, str]]:
    services: dict[str, Any] = entry.compose.get("services") or {}
    host = [n for n, s in services.items() if s.get("network_mode") == "host"]
    if host:
        yield "host-network", f"{', '.join(host)} use(s) network_mode: host"
        refs = sorted(_name_references(services))
        if refs:
            yield (
                "host-network-names",
                "host networking, yet " + "; ".join(refs) + " (names do not resolve there)",
            )
    for name, svc in services.items():
        yield from _unprivileged(str(name), svc)
        for key, value in _environment(svc):
            value = _unquote(value)
            if is_secret_key(key) and _literal(value) and value.lower() not in NOT_A_SECRET:
                yield "hard-coded-secret", f"{name}: {key} has a fixed value"
            elif _literal(value) and URL_CREDENTIALS.match(value):
                yield "hard-coded-secret", f"{name}: {key} holds a password in a URL"
        image = str(svc.get("image", ""))
        if not image_is_pinned(image):
            yield "unpinned-image", f"{name}: {image or '(no image)'} is not pinned to a version"
        if any("$" in str(p) for p in svc.get("ports") or []):
            yield (
                "variable-in-ports",
                f"{name}: ports must be literal (the health check reads them)",
            )
    declared = {v.name for v in entry.env} | set(RUNTIME_VARIABLES)
    for var in sorted(compose_variables(entry.compose) - declared):
        yield "undeclared-variable", f"${{{var}}} is used but not declared in env"
    web = entry.web_port()
    if web is not None and not host and web.number not in published_ports(entry.compose):
        yield "web-port-unpublished", f"web port {web.number} is not published by any service"
    if entry.health is None:
        yield "no-health", "no health check (a web port, a TCP port or a compose healthcheck)"


def _unprivileged(name: str, svc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if svc.get("privileged") is True:
        yield "privileged", f"{name}: privileged: true (an unprivileged LXC cannot grant it)"
    if svc.get("devices"):
        yield "devices", f"{name}: uses host devices ({len(svc['devices'])}), absent from the CT"
    for mount in svc.get("volumes") or []:
        src = mount.get("source") if isinstance(mount, dict) else str(mount).split(":")[0]
        if str(src).endswith("/docker.sock"):
            yield "docker-socket", f"{name}: mounts the Docker socket (root over the CT's Docker)"
            break
    deploy: dict[str, Any] = svc["deploy"] if isinstance(svc.get("deploy"), dict) else {}
    reservations = (deploy.get("resources") or {}).get("reservations") or {}
    devices = reservations.get("devices") if isinstance(reservations, dict) else None
    if svc.get("runtime") == "nvidia" or "gpu" in str(devices).lower() or "nvidia" in str(devices):
        yield "gpu", f"{name}: reserves a GPU (not passed through to the CT)"


def _unquote(value: str) -> str:
    v = value.strip()
    return v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'" else value


def image_is_pinned(image: str) -> bool:
    """True for `repo:tag` (tag not `latest`) and for digests."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    tag = last.rsplit(":", 1)[1]
    return bool(tag) and tag != "latest" and "$" not in tag


def image_repository(image: str) -> str:
    """`ghcr.io/org/app:1.2` -> `org/app`; `redis:7` -> `library/redis` (registry-neutral)."""
    ref = image.split("@", 1)[0]
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        ref = rest
    last = ref.rsplit("/", 1)
    name = last[-1].split(":", 1)[0]
    repo = f"{last[0]}/{name}" if len(last) == 2 else f"library/{name}"
    return repo.lower()


def published_ports(compose: dict[str, Any]) -> set[int]:
    """Host-side ports the services publish (`8080:80`, `127.0.0.1:53:53/udp`, long syntax)."""
    out: set[int] = set()
    for svc in (compose.get("services") or {}).values():
        for spec in svc.get("ports") or []:
            if isinstance(spec, dict):
                published = spec.get("published")
                if published is not None and str(published).isdigit():
                    out.add(int(published))
                continue
            parts = str(spec).split("/")[0].split(":")
            host = parts[-2] if len(parts) >= 2 else parts[-1]
            if host.isdigit():
                out.add(int(host))
            elif "-" in host and all(x.isdigit() for x in host.split("-", 1)):
                lo, hi = map(int, host.split("-", 1))
                out.update(range(lo, hi + 1))
    return out


def _environment(svc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    env = svc.get("environment")
    if isinstance(env, dict):
        for k, v in env.items():
            yield str(k), "" if v is None else str(v)
    elif isinstance(env, list):
        for item in env:
            k, _, v = str(item).partition("=")
            yield k, v


def _literal(value: str) -> bool:
    return bool(value) and "$" not in value.replace("$$", "")


def _name_references(services: dict[str, Any]) -> Iterator[str]:
    """`svc: KEY -> other` for values that use another service's name as a host."""
    names: dict[str, str] = {}
    for name, svc in services.items():
        names[str(name)] = str(name)
        for alias in (svc.get("container_name"), svc.get("hostname")):
            if isinstance(alias, str):
                names[alias] = str(name)
    for name, svc in services.items():
        for key, value in _environment(svc):
            for alias, target in names.items():
                if target == name:
                    continue
                if _uses_host(value, alias) or (value == alias and HOST_KEY.search(key)):
                    yield f"{name}: {key} -> {alias}"
                    break


def _uses_host(value: str, host: str) -> bool:
    pattern = r"(?:^|[@/,\s=])" + re.escape(host) + r"(?::\d|/|$|,)"
    return re.search(pattern, value) is not None and value != host
