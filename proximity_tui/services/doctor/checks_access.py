"""Doctor checks about reaching Proxmox: connection, version, certificate, identity, privileges."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from contextlib import suppress
from typing import TYPE_CHECKING

from proximity_tui import errors as e
from proximity_tui.services.doctor.model import FAIL, OK, WARN, Report
from proximity_tui.services.doctor.privileges import (
    Need,
    pveum_acl,
    pveum_role_add,
    role_privileges,
)
from proximity_tui.services.doctor.versions import DEGRADED_MAJORS, SUPPORTED_MAJORS, major_of

if TYPE_CHECKING:
    from proximity_tui.config import ProxmoxSettings
    from proximity_tui.proxmox.client import ProxmoxClient

#: The role `proximity-tui setup` creates; the doctor's fixes grant it.
DEFAULT_ROLE = "Proximity"
SETUP_HINT = "run `proximity-tui setup` as root@pam to create a least-privilege user and token"


def fix_hint(exc: BaseException) -> str:
    """What to do about a connection error, by its kind."""
    if isinstance(exc, e.TrustError):
        return "The certificate does not match the pinned fingerprint: fetch and check it again."
    if isinstance(exc, e.ProxmoxAuthError):
        return "Check the user (user@realm), the token id and secret, or the password."
    if isinstance(exc, e.ProxmoxPermissionError):
        return f"The user or token lacks privileges: {SETUP_HINT}, or see `proximity-tui doctor`."
    if isinstance(exc, e.ProxmoxConnectionError | e.ProxmoxTimeout):
        return "Check the host and port (8006) and that pveproxy is running on the host."
    return "Check the values above and try again."


async def check_connection(report: Report, client: ProxmoxClient) -> int | None:
    """Log in and read the version; returns the PVE major version (None: could not connect)."""
    try:
        version = await client.connect()
    except e.ProximityError as exc:
        report.add("connection", FAIL, str(exc), fix_hint(exc))
        return None
    report.add("connection", OK, f"{client.host}:{client.port} answered, PVE {version.version}")
    major = major_of(version.version)
    if major in SUPPORTED_MAJORS:
        report.add("version", OK, f"PVE {version.version}: supported (PVE 8 and 9 are)")
    elif major in DEGRADED_MAJORS:
        report.add(
            "version",
            WARN,
            f"PVE {version.version}: end of life; supported with degraded features (it has no "
            "/lxc/{vmid}/interfaces, so addresses are read inside each container with `ip`; "
            "no Docker-in-LXC fix for runc 1.3.3)",
            "upgrade to PVE 8 or 9 (pve7to8, then pve8to9)",
        )
    else:
        report.add(
            "version",
            FAIL,
            f"PVE {version.version or '?'}: not supported (PVE 8 and 9 are; 7 with degraded "
            "features)",
            "upgrade Proxmox VE to 8 or 9",
        )
    return major


def check_trust(report: Report, client: ProxmoxClient) -> None:
    mode = client.trust_mode
    if mode == "insecure":
        report.add(
            "certificate",
            WARN,
            "certificate verification is off ([proxmox] verify_ssl = false): anyone between "
            "here and the host can read the credentials",
            "pin the certificate: set [proxmox] fingerprint to the SHA-256 shown by `openssl "
            "x509 -in /etc/pve/local/pve-ssl.pem -noout -fingerprint -sha256` and remove "
            "verify_ssl",
        )
        return
    words = {"pinned": "pinned SHA-256 fingerprint", "ca": "verified with the configured CA file"}
    report.add("certificate", OK, words.get(mode, "verified with the system's trust store"))


async def check_identity(report: Report, client: ProxmoxClient, px: ProxmoxSettings) -> bool | None:
    """Auth kind and, for a token, whether it has privilege separation (None: unknown)."""
    user = px.user
    if client.auth_kind != "token" or not px.token_name:
        if user == "root@pam":
            report.add(
                "auth",
                WARN,
                "password login as root@pam: the product holds every privilege of the host",
                SETUP_HINT,
            )
        else:
            report.add("auth", OK, f"password login as {user}")
        return None
    privsep: bool | None = None
    try:
        info = await client.request("GET", "access", "users", user, "token", px.token_name)
        if isinstance(info, dict) and "privsep" in info:
            privsep = str(info["privsep"]) not in ("0", "False", "false")
    except e.ProximityError:
        privsep = None  # a token may not read itself (needs User.Modify)
    if privsep is None and user == "root@pam":
        # root@pam holds every privilege: a root token lacking one is privilege-separated.
        with suppress(e.ProximityError):
            privsep = "Sys.Audit" not in await _privileges_at(client, "/")
    sep = (
        "privilege separation unknown"
        if privsep is None
        else ("with" if privsep else "without") + " privilege separation"
    )
    detail = f"API token {user}!{px.token_name} ({sep})"
    if user == "root@pam" and privsep is not True:
        report.add("auth", WARN, detail + ": the product holds every privilege", SETUP_HINT)
    else:
        report.add("auth", OK, detail)
    return privsep


async def _privileges_at(client: ProxmoxClient, path: str) -> set[str]:
    data = await client.request("GET", "access", "permissions", path=path) or {}
    privs = data.get(path) if isinstance(data, dict) else None
    return {p for p, v in (privs or {}).items() if v is not None}


async def check_permissions(
    report: Report,
    client: ProxmoxClient,
    px: ProxmoxSettings,
    needs: list[Need],
    pve_major: int | None,
) -> dict[str, set[str]] | None:
    """Compare `GET /access/permissions` at each path with what each feature needs; returns
    the privileges held at each path (None when they could not be read)."""
    paths = sorted({n.path for n in needs})
    try:
        found = await asyncio.gather(*(_privileges_at(client, p) for p in paths))
    except e.ProximityError as exc:
        report.add(
            "permissions",
            WARN,
            f"cannot read the effective permissions (GET /access/permissions): {exc}",
            "check them by hand in Datacenter > Permissions",
        )
        return None
    held = dict(zip(paths, found, strict=True))
    role_missing = await _role_missing(client)
    by_feature: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for need in needs:
        for priv in need.privs:
            if priv not in held[need.path]:
                by_feature[need.feature][need.path].append(priv)
    features = list(dict.fromkeys(n.feature for n in needs))
    if by_feature and role_missing:
        report.add(
            f"permissions: role {DEFAULT_ROLE}",
            FAIL,
            f"the grants below use the role {DEFAULT_ROLE}, which does not exist yet",
            pveum_role_add(DEFAULT_ROLE, role_privileges(pve_major)),
        )
    for feature in features:
        missing = by_feature.get(feature)
        if not missing:
            report.add(f"permissions: {feature}", OK, "every privilege it needs is granted")
            continue
        detail = "missing " + "; ".join(
            f"{', '.join(dict.fromkeys(privs))} on {path}" for path, privs in missing.items()
        )
        lines = [pveum_acl(path, DEFAULT_ROLE, px.user, px.token_name) for path in missing]
        report.add(f"permissions: {feature}", FAIL, detail, "\n".join(lines))
    return held


async def _role_missing(client: ProxmoxClient) -> bool:
    try:
        roles = await client.request("GET", "access", "roles") or []
    except e.ProximityError:
        return True
    return DEFAULT_ROLE not in {str(r.get("roleid")) for r in roles if isinstance(r, dict)}


async def check_pool(report: Report, client: ProxmoxClient, pool: str | None) -> None:
    if not pool:
        report.add(
            "pool",
            OK,
            "no [deploy] pool: privileges on containers are checked on /vms",
            "",
        )
        return
    try:
        pools = await client.request("GET", "pools") or []
    except e.ProximityError as exc:
        report.add("pool", WARN, f"cannot list pools: {exc}")
        return
    if pool in {str(p.get("poolid")) for p in pools if isinstance(p, dict)}:
        report.add("pool", OK, f"new containers go into pool {pool}")
    else:
        report.add(
            "pool",
            FAIL,
            f"pool {pool} does not exist (or this user lacks Pool.Audit on /pool/{pool}); "
            "creating a container in it fails",
            f"pveum pool add {pool}   (or {SETUP_HINT})",
        )
