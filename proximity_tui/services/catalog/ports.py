"""The ports a converted entry lists: what its compose project publishes, which is the web UI."""

from __future__ import annotations

from typing import Any

#: A published range longer than this is listed by its first port only (a note says so).
MAX_RANGE = 16


def published(compose: dict[str, Any]) -> list[tuple[int, str]]:
    """(host port, protocol) for every published port, in order, without repeats."""
    out: list[tuple[int, str]] = []
    for svc in (compose.get("services") or {}).values():
        for spec in svc.get("ports") or [] if isinstance(svc, dict) else []:
            for item in _spec_ports(spec):
                if item not in out:
                    out.append(item)
    return out


def _spec_ports(spec: Any) -> list[tuple[int, str]]:
    if isinstance(spec, dict):
        proto = str(spec.get("protocol") or "tcp").lower()
        host = str(spec.get("published") or "")
    else:
        text, _, proto = str(spec).partition("/")
        proto = (proto or "tcp").lower()
        parts = text.rsplit(":", 2)
        if len(parts) < 2:
            return []  # only a container port: not published on a chosen port
        host = parts[-2]
    if proto not in ("tcp", "udp"):
        return []
    lo, _, hi = host.partition("-")
    if not lo.isdigit() or (hi and not hi.isdigit()):
        return []
    first, last = int(lo), int(hi or lo)
    last = min(last, first + MAX_RANGE - 1)
    return [(n, proto) for n in range(first, last + 1) if 1 <= n <= 65535]


def entry_ports(
    compose: dict[str, Any],
    main: str,
    port_map: Any,
    host_ports: dict[str, list[int]],
) -> tuple[list[dict[str, Any]], int | None, str | None]:
    """Our `ports` list, the web port (or None), and a note when the web port is unclear.

    `port_map` is the store's web port; services on host networking publish nothing, so the
    container ports the store lists for them (`host_ports`) are listed instead."""
    found = published(compose)
    services = compose.get("services") or {}
    for name, svc in services.items():
        if isinstance(svc, dict) and svc.get("network_mode") == "host":
            for number in host_ports.get(str(name), []):
                if (number, "tcp") not in found:
                    found.append((number, "tcp"))
    web: int | None = None
    note = None
    pm = str(port_map or "").strip()
    main_host = (
        isinstance(services.get(main), dict) and services[main].get("network_mode") == "host"
    )
    if pm.isdigit() and ((int(pm), "tcp") in found or main_host):
        web = int(pm)
        if (web, "tcp") not in found:
            found.append((web, "tcp"))
    elif pm:
        note = f"web-port: the store's web port {pm} is not published; no web UI is listed"
    else:
        note = "web-port: the store names no web port"
    ports = []
    for number, proto in found:
        item: dict[str, Any] = {"number": number, "protocol": proto}
        if number == web and proto == "tcp":
            item.update(web=True, purpose="web UI")
        ports.append(item)
    return ports, web, note
