"""PVE authentication: tickets (cookie `PVEAuthCookie` + `CSRFPreventionToken`) and API tokens
(`Authorization: PVEAPIToken=USER@REALM!ID=SECRET`), with PVE's 401 texts.

Tickets look like PVE's (`PVE:root@pam:HEXTIME::signature`) and live two hours; posting a valid
ticket as the password renews it. Signatures are HMACs with a per-session key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from pvesim.clock import Clock
from pvesim.errors import PveError

TICKET_LIFETIME = 7200
#: PVE accepts tickets issued up to 5 minutes "in the future" (clock skew between nodes).
CLOCK_SKEW = 300
_TOKEN_HEADER = re.compile(r"PVEAPIToken=(?P<user>[^!=\s]+)!(?P<token>[^=\s]+)=(?P<secret>\S+)")


class AuthFailed(Exception):
    """401 with an empty body: the reason phrase is the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Identity:
    #: The user (`root@pam`) or the token's full id (`root@pam!proximity`): what tasks record.
    authid: str
    is_token: bool


class Authenticator:
    def __init__(
        self,
        clock: Clock,
        *,
        user: str,
        password: str,
        tokens: dict[str, str],
        passwords: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.clock = clock
        self.user = user
        self.password = password
        #: Full token id (`root@pam!proximity`) -> secret; the caller's dict, so tokens made
        #: through the API (`acl.AccessControl.secrets`) authenticate at once.
        self.tokens = tokens
        #: Checks the password of another user (`userid, password -> ok`).
        self.passwords = passwords
        self._key = secrets.token_bytes(32)

    # --- tickets -------------------------------------------------------------------------

    def _sign(self, data: str) -> str:
        mac = hmac.new(self._key, data.encode(), hashlib.sha256).digest()
        return base64.b64encode(mac).decode().rstrip("=")

    def issue_ticket(self, user: str) -> tuple[str, str]:
        stamp = f"{int(self.clock.time()):08X}"
        plain = f"PVE:{user}:{stamp}"
        ticket = f"{plain}::{self._sign(plain)}"
        csrf = f"{stamp}:{self._sign(f'{stamp}:{user}:csrf')}"
        return ticket, csrf

    def verify_ticket(self, ticket: str) -> str | None:
        """The user a ticket belongs to, or None when forged or expired."""
        match = re.fullmatch(r"(PVE:([^:]+):([0-9A-F]{8}))::(\S+)", ticket)
        if not match:
            return None
        plain, user, stamp, sig = match.groups()
        if not hmac.compare_digest(sig, self._sign(plain)):
            return None
        age = self.clock.time() - int(stamp, 16)
        if age < -CLOCK_SKEW or age > TICKET_LIFETIME:
            return None
        return user

    def verify_csrf(self, user: str, token: str | None) -> bool:
        if not token or ":" not in token:
            return False
        stamp, sig = token.split(":", 1)
        if not re.fullmatch(r"[0-9A-F]{8}", stamp):
            return False
        age = self.clock.time() - int(stamp, 16)
        if age < -CLOCK_SKEW or age > TICKET_LIFETIME:
            return False
        return hmac.compare_digest(sig, self._sign(f"{stamp}:{user}:csrf"))

    def login(self, username: str, password: str, realm: str | None = None) -> dict[str, object]:
        """`POST /access/ticket`: a password, or a valid ticket to renew."""
        if realm and "@" not in username:
            username = f"{username}@{realm}"
        renewal = self.verify_ticket(password) == username
        if username == self.user:
            ok = hmac.compare_digest(password, self.password) or renewal
        else:
            ok = renewal or bool(self.passwords and self.passwords(username, password))
        if not ok:
            raise PveError(401, "authentication failure")
        ticket, csrf = self.issue_ticket(username)
        return {
            "username": username,
            "ticket": ticket,
            "CSRFPreventionToken": csrf,
            "clustername": "proximity-sim",
            "cap": _CAPABILITIES,
        }

    # --- per request -----------------------------------------------------------------------

    def authenticate(
        self, method: str, authorization: str | None, cookie: str | None, csrf: str | None
    ) -> Identity:
        """Who is calling, or `AuthFailed` with PVE's message."""
        if authorization and authorization.startswith("PVEAPIToken"):
            match = _TOKEN_HEADER.fullmatch(authorization.strip())
            if not match:
                raise AuthFailed("invalid token")
            authid = f"{match['user']}!{match['token']}"
            expected = self.tokens.get(authid)
            if expected is None:
                raise AuthFailed(f"no such token '{match['token']}' for user '{match['user']}'")
            if not hmac.compare_digest(match["secret"], expected):
                raise AuthFailed("invalid token value!")
            return Identity(authid, True)
        if not cookie:
            raise AuthFailed("No ticket")
        user = self.verify_ticket(cookie)
        if user is None:
            raise AuthFailed("permission denied - invalid PVE ticket")
        if method != "GET" and not self.verify_csrf(user, csrf):
            raise AuthFailed("Permission denied - invalid csrf token")
        return Identity(user, False)


_ALL = {"Sys.Audit": 1, "Sys.Modify": 1, "Sys.PowerMgmt": 1, "Sys.Console": 1}
_CAPABILITIES = {
    "vms": {
        p: 1
        for p in (
            "VM.Allocate",
            "VM.Audit",
            "VM.Backup",
            "VM.Clone",
            "VM.Config.CPU",
            "VM.Config.Disk",
            "VM.Config.Memory",
            "VM.Config.Network",
            "VM.Config.Options",
            "VM.Console",
            "VM.PowerMgmt",
            "VM.Snapshot",
        )
    },
    "storage": {
        "Datastore.Allocate": 1,
        "Datastore.AllocateSpace": 1,
        "Datastore.AllocateTemplate": 1,
        "Datastore.Audit": 1,
    },
    "nodes": _ALL,
    "access": {"User.Modify": 1, "Permissions.Modify": 1},
    "dc": {"Sys.Audit": 1},
    "sdn": {},
    "mapping": {},
}
