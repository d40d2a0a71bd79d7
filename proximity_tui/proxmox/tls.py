"""TLS trust for the Proxmox API: pinned SHA-256 fingerprints, CA files, the first-use probe.

PVE ships a certificate signed by its own cluster CA, so the usual way to trust it is to pin the
leaf's SHA-256 fingerprint (shown by `pvenode cert info` and in the web UI as `AA:BB:...`).
The pin is checked by urllib3 (`assert_fingerprint`) on every connection of our requests session;
a CA file or the system store work through normal verification. Turning verification off is
only ever the user's explicit choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any, Literal

from requests.adapters import HTTPAdapter

from proximity_tui.errors import ProxmoxConnectionError, TrustError, ValidationError

_HEX = re.compile(r"^[0-9A-F]{64}$")

TrustMode = Literal["pinned", "ca", "system", "insecure"]


def normalize_fingerprint(text: str) -> str:
    """`aa:bb...`, `AABB...` or `sha256 Fingerprint=AA:BB...` -> `AA:BB:...` (PVE's form)."""
    raw = text.strip()
    if "=" in raw:  # openssl x509 -fingerprint output
        raw = raw.rsplit("=", 1)[1]
    hexdigits = raw.replace(":", "").replace(" ", "").upper()
    if not _HEX.match(hexdigits):
        raise ValidationError(
            "a certificate fingerprint is 32 bytes of SHA-256 in hex, like AA:BB:...:FF",
            field="proxmox.fingerprint",
        )
    return format_fingerprint(bytes.fromhex(hexdigits))


def format_fingerprint(digest: bytes) -> str:
    return ":".join(f"{b:02X}" for b in digest)


def cert_fingerprint(der: bytes) -> str:
    """PVE-style SHA-256 fingerprint of a DER certificate."""
    return format_fingerprint(hashlib.sha256(der).digest())


def _probe_context() -> ssl.SSLContext:
    # Only reads the certificate to show it to the user; nothing is sent over this connection.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def fetch_fingerprint_sync(host: str, port: int = 8006, *, timeout: float = 5.0) -> str:
    """Connect, read the server's certificate and return its fingerprint (no trust implied)."""
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            _probe_context().wrap_socket(sock, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise ProxmoxConnectionError(
            f"cannot read the certificate of {host}:{port}: {exc}", call="TLS handshake"
        ) from None
    if not der:
        raise ProxmoxConnectionError(f"{host}:{port} sent no certificate", call="TLS handshake")
    return cert_fingerprint(der)


async def fetch_fingerprint(host: str, port: int = 8006, *, timeout: float = 5.0) -> str:
    """The server's certificate fingerprint, for the connect screen's explicit trust step."""
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(
                host, port, ssl=_probe_context(), server_hostname=host
            )
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else str(exc)
        raise ProxmoxConnectionError(
            f"cannot read the certificate of {host}:{port}: {reason}", call="TLS handshake"
        ) from None
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):  # the probe only needed the handshake
            await writer.wait_closed()
    if not der:
        raise ProxmoxConnectionError(f"{host}:{port} sent no certificate", call="TLS handshake")
    return cert_fingerprint(der)


class PinnedAdapter(HTTPAdapter):
    """A requests adapter whose every connection must present the pinned certificate."""

    def __init__(self, fingerprint: str, **kwargs: Any) -> None:
        self._fingerprint = normalize_fingerprint(fingerprint)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)


@dataclass(frozen=True)
class TrustPolicy:
    """How the API certificate is checked, decided once from the settings."""

    mode: TrustMode
    fingerprint: str | None = None
    ca_file: str | None = None

    @classmethod
    def from_settings(
        cls, *, fingerprint: str | None, ca_file: str | None, verify_ssl: bool
    ) -> TrustPolicy:
        # A pin is the strongest statement the user can make: it wins over everything else.
        if fingerprint:
            return cls("pinned", fingerprint=normalize_fingerprint(fingerprint))
        if not verify_ssl:
            return cls("insecure")
        if ca_file:
            return cls("ca", ca_file=ca_file)
        return cls("system")

    @property
    def requests_verify(self) -> bool | str:
        """The `verify` value requests gets (the pin itself is checked by the adapter)."""
        if self.mode == "ca":
            return self.ca_file or True
        return self.mode == "system"

    def adapter(self) -> HTTPAdapter:
        if self.mode == "pinned":
            assert self.fingerprint is not None
            return PinnedAdapter(self.fingerprint)
        return HTTPAdapter()


def trust_error(policy: TrustPolicy, host: str, port: int, detail: str) -> TrustError:
    """Explain a failed certificate check: what the server showed and how to trust it."""
    try:
        seen: str | None = fetch_fingerprint_sync(host, port)
    except ProxmoxConnectionError:
        seen = None
    where = f"{host}:{port}"
    if policy.mode == "pinned":
        return TrustError(
            f"the certificate of {where} does not match the pinned fingerprint: "
            f"server has {seen or 'an unreadable certificate'}, expected {policy.fingerprint}. "
            "If the certificate was renewed on purpose, update `fingerprint` in [proxmox].",
            seen=seen,
            expected=policy.fingerprint,
        )
    source = f"the CA file {policy.ca_file}" if policy.mode == "ca" else "the system CA store"
    hint = (
        f'check it on the node (`pvenode cert info`) and pin it with fingerprint = "{seen}" '
        "in [proxmox]"
        if seen
        else "check the host and port"
    )
    return TrustError(
        f"the certificate of {where} is not trusted by {source} ({_short(detail)}); "
        f"its SHA-256 fingerprint is {seen or 'unknown'}: {hint}",
        seen=seen,
    )


def _short(detail: str) -> str:
    match = re.search(r"certificate verify failed: ([^(\]]+)", detail)
    if match:
        return "certificate verify failed: " + match.group(1).strip()
    return detail.splitlines()[0][:200] if detail else "verification failed"
