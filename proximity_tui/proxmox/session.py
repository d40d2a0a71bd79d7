"""The wire under `ProxmoxClient`: proxmoxer in worker threads, auth, TLS trust, retries, errors.

proxmoxer is synchronous and its objects are not thread-safe, so each worker thread gets its own
`ProxmoxHttpSession` and `ProxmoxResource` (proxmoxer's own classes, unmodified). The auth object
is shared: API tokens are stateless; the ticket auth below serialises login and renewal with a
lock. We log in through our own verified session rather than proxmoxer's `ProxmoxHTTPAuth`,
because that one posts the password with a bare `requests.post` that the pinned adapter
cannot see: the password would go to an unverified peer whenever the certificate is pinned.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import requests
from proxmoxer.backends.https import (
    JsonSerializer,
    ProxmoxHTTPApiTokenAuth,
    ProxmoxHTTPAuthBase,
    ProxmoxHttpSession,
)
from proxmoxer.core import ProxmoxResource, ResourceException
from requests.cookies import cookiejar_from_dict

from proximity_tui.errors import (
    ProxmoxAuthError,
    ProxmoxConnectionError,
    ProxmoxError,
    ProxmoxParameterError,
    ProxmoxPermissionError,
    ProxmoxTimeout,
    TrustError,
    ValidationError,
)
from proximity_tui.proxmox import write_ahead
from proximity_tui.proxmox.tls import TrustPolicy, trust_error
from proximity_tui.proxmox.write_ahead import WriteAhead

#: PVE tickets live 2 h; renew well before (proxmoxer uses the same age).
TICKET_RENEW_AGE = 3600.0


class _Session(ProxmoxHttpSession):
    """proxmoxer's session with a per-call timeout (each worker thread has its own session)."""

    call_timeout: float | None = None

    def request(self, method, url, params=None, data=None, **kwargs):
        if kwargs.get("timeout") is None and self.call_timeout is not None:
            kwargs["timeout"] = self.call_timeout
        return super().request(method, url, params=params, data=data, **kwargs)


class TicketAuth(ProxmoxHTTPAuthBase):
    """Ticket (cookie + CSRF) auth whose login and renewal go through a verified session."""

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        session: requests.Session,
        timeout: float,
        verify_ssl: bool | str,
    ) -> None:
        super().__init__(timeout=timeout, verify_ssl=verify_ssl)
        self.base_url = base_url
        self.username = username
        # Kept (never shown) to log in again when a ticket expired, e.g. after a suspend.
        self._password = password
        self._session = session
        self._lock = threading.Lock()
        self._ticket: str | None = None
        self._csrf = ""
        self._born = 0.0

    def __repr__(self) -> str:
        return f"TicketAuth({self.username!r}, password=***)"

    def _post_ticket(self, password: str) -> None:
        call = "POST /access/ticket"
        resp = self._session.post(
            self.base_url + "/access/ticket",
            data={"username": self.username, "password": password},
            verify=self.verify_ssl,
            timeout=self.timeout,
        )
        if resp.status_code != 200:
            raise map_http_error(resp.status_code, resp.reason or "", None, call)
        data = (resp.json() or {}).get("data") or {}
        if data.get("NeedTFA"):
            raise ProxmoxAuthError(
                "this user needs two-factor authentication; use an API token instead", call=call
            )
        if not data.get("ticket"):
            raise ProxmoxAuthError("login answered without a ticket", call=call)
        self._ticket = data["ticket"]
        self._csrf = data.get("CSRFPreventionToken", "")
        self._born = time.monotonic()

    def login(self, *, force: bool = False) -> None:
        """Log in, or renew the ticket once it is older than `TICKET_RENEW_AGE` (thread-safe)."""
        with self._lock:
            if self._ticket is None or force:
                self._post_ticket(self._password)
            elif time.monotonic() - self._born >= TICKET_RENEW_AGE:
                try:  # renewal posts the current ticket as the password
                    self._post_ticket(self._ticket)
                except ProxmoxAuthError:
                    self._post_ticket(self._password)

    @property
    def age(self) -> float:
        return time.monotonic() - self._born if self._ticket else 0.0

    def get_cookies(self):  # called by proxmoxer's session before each request
        self.login()
        return cookiejar_from_dict({"PVEAuthCookie": self._ticket})

    def get_tokens(self):
        return self._ticket, self._csrf

    def __call__(self, req):
        if req.method != "GET":  # PVE wants CSRF on every non-GET, and only there
            req.headers["CSRFPreventionToken"] = self._csrf
        return req


def map_http_error(status: int, reason: str, errors: Any, call: str) -> ProxmoxError:
    """A PVE error answer as our error kind, keeping PVE's message and parameter errors."""
    message = (reason or "").strip() or f"HTTP {status}"
    errs = {str(k): str(v).strip() for k, v in errors.items()} if isinstance(errors, dict) else {}
    if status == 400:
        return ProxmoxParameterError(message, call=call, status=status, errors=errs)
    if status == 401:
        return ProxmoxAuthError(message, call=call, status=status)
    if status == 403:
        return ProxmoxPermissionError(message, call=call, status=status, errors=errs)
    if status in (595, 596):  # PVE's proxy could not reach the node it forwards to
        return ProxmoxConnectionError(message, call=call, status=status)
    return ProxmoxError(message, call=call, status=status, errors=errs)


def is_retryable(exc: BaseException) -> bool:
    """Connection failures and server errors are worth another try; 501 (no such method) is not."""
    if isinstance(exc, ProxmoxConnectionError):
        return True
    return (
        type(exc) is ProxmoxError
        and exc.status is not None
        and 500 <= exc.status < 600
        and exc.status != 501
    )


#: One segment that `quote` below would leave as it is (no `/`, nothing to escape).
_PLAIN = re.compile(r"[A-Za-z0-9:@!$'()*+,;=\-._~]+")


def _segment(part: str | int) -> str:
    """One value of an API path, percent-encoded. A `/` stays a `/`: volume ids contain one
    (`local:backup/vzdump-...`) and PVE routes the rest of the path to `{volume}` on purpose
    (its `fragmentDelimiter`); empty, `.` and `..` components are refused so that nothing can
    climb out of the path it belongs to."""
    text = str(part)
    if _PLAIN.fullmatch(text) and text not in (".", ".."):  # most are (ids, UPIDs): kept whole
        return text
    pieces = text.split("/")
    if any(p in ("", ".", "..") for p in pieces):
        raise ValidationError(f"invalid path segment {text!r} in a Proxmox API call")
    return "/".join(quote(p, safe=":@!$'()*+,;=-._~") for p in pieces)


class ApiSession:
    """Runs proxmoxer calls in a small thread pool and turns their failures into our errors."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str,
        password: str | None,
        token_name: str | None,
        token_value: str | None,
        policy: TrustPolicy,
        timeout: float,
        retries: int = 2,
        backoff: float = 0.1,
        max_workers: int = 4,
    ) -> None:
        self.host, self.port = host, port
        self.policy = policy
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host
        self.base_url = f"https://{netloc}:{port}/api2/json"
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self._calls = 0
        self._sessions: list[requests.Session] = []
        self.closed = False
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="proxmox-api"
        )
        verify = policy.requests_verify
        self.auth: ProxmoxHTTPAuthBase
        if token_name:
            if "!" in token_name:  # `root@pam!proximity` given whole
                user, token_name = token_name.split("!", 1)
            self.auth = ProxmoxHTTPApiTokenAuth(
                user, token_name, token_value or "", verify_ssl=verify, timeout=timeout
            )
            self.auth_kind = "token"
        elif password is not None:
            self.auth = TicketAuth(
                base_url=self.base_url,
                username=user,
                password=password,
                session=self._new_session(requests.Session),
                timeout=timeout,
                verify_ssl=verify,
            )
            self.auth_kind = "ticket"
        else:
            raise ValidationError(
                "no Proxmox credentials: set password (or password_file), or token_name and "
                "token_value, in [proxmox]",
                field="proxmox.password",
            )

    # --- sessions (one per worker thread) ---

    def _new_session(self, cls: type[requests.Session] = _Session) -> Any:
        session = cls()
        # The API is reached directly with a pinned certificate: proxy variables meant for the
        # internet (HTTPS_PROXY without NO_PROXY) must not reroute it, and reading them on every
        # call costs measurable time.
        session.trust_env = False
        session.mount("https://", self.policy.adapter())
        session.headers["accept"] = JsonSerializer().get_accept_types()
        session.hooks["response"].append(self._count)
        with self._count_lock:
            self._sessions.append(session)
        return session

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._count_lock:
            self._calls += 1

    @property
    def call_count(self) -> int:
        return self._calls

    def _root(self) -> tuple[_Session, ProxmoxResource]:
        local = self._local
        if getattr(local, "root", None) is None:
            session = self._new_session()
            session.auth = self.auth
            local.session = session
            local.root = ProxmoxResource(
                base_url=self.base_url, session=session, serializer=JsonSerializer()
            )
        return local.session, local.root

    # --- calls ---

    def _call_sync(
        self,
        method: str,
        path: Sequence[str | int],
        params: dict[str, Any] | None,
        timeout: float | None,
        call: str,
        ahead: WriteAhead | None = None,
    ) -> Any:
        if ahead is not None:
            ahead.ensure()  # the operation's journal first: nothing is sent before it
        session, root = self._root()
        session.call_timeout = timeout or self.timeout
        resource = root([_segment(p) for p in path])
        try:
            if method == "GET":
                return resource.get(**(params or {}))
            if method == "POST":
                return resource.post(**(params or {}))
            if method == "PUT":
                return resource.put(**(params or {}))
            if method == "DELETE":
                return resource.delete(**(params or {}))
            raise ValueError(f"unsupported method {method}")
        except ResourceException as exc:
            raise map_http_error(exc.status_code, exc.content, exc.errors, call) from None
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(exc, call) from None
        except requests.exceptions.ConnectTimeout:
            raise ProxmoxConnectionError(
                f"timed out connecting to {self.host}:{self.port}", call=call
            ) from None
        except requests.exceptions.Timeout:
            raise ProxmoxTimeout(f"no answer within {session.call_timeout:g}s", call=call) from None
        except requests.exceptions.RequestException as exc:
            raise ProxmoxConnectionError(
                f"cannot reach {self.host}:{self.port}: {_reason(exc)}", call=call
            ) from None

    def _tls_error(self, exc: requests.exceptions.SSLError, call: str) -> ProximityTrustOrConn:
        detail = str(exc)
        if self.policy.mode == "pinned" and "ingerprint" in detail:
            return trust_error(self.policy, self.host, self.port, detail)
        if self.policy.mode in ("system", "ca") and (
            "CERTIFICATE_VERIFY_FAILED" in detail or "hostname" in detail.lower()
        ):
            return trust_error(self.policy, self.host, self.port, detail)
        return ProxmoxConnectionError(f"TLS handshake failed: {_reason(exc)}", call=call)

    async def request(
        self,
        method: str,
        path: Sequence[str | int],
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> Any:
        """One API call. GETs are retried with backoff; other methods never are."""
        method = method.upper()
        call = f"{method} /" + "/".join(str(p) for p in path)
        if self.closed:
            raise ProxmoxConnectionError("this Proxmox client was closed", call=call)
        attempts = 1 + (self.retries if method == "GET" else 0)
        delay = self.backoff
        relogged = False
        loop = asyncio.get_running_loop()
        ahead = write_ahead.pending()  # made first, in the worker that sends the call
        attempt = 0
        while True:
            attempt += 1
            try:
                return await loop.run_in_executor(
                    self._pool, self._call_sync, method, path, params, timeout, call, ahead
                )
            except ProxmoxAuthError as exc:
                # 401 means nothing ran: log in again once (expired ticket) and repeat.
                if self.auth_kind != "ticket" or relogged or exc.call == "POST /access/ticket":
                    raise
                relogged = True
                await loop.run_in_executor(self._pool, self._login_sync, True)
                attempt -= 1
            except ProxmoxError as exc:
                if attempt >= attempts or not is_retryable(exc):
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def login(self) -> None:
        """Log in now (ticket auth) rather than on the first call; a no-op for API tokens."""
        await asyncio.get_running_loop().run_in_executor(self._pool, self._login_sync)

    def _login_sync(self, force: bool = False) -> None:
        if isinstance(self.auth, TicketAuth):
            try:
                self.auth.login(force=force)
            except requests.exceptions.SSLError as exc:
                raise self._tls_error(exc, "POST /access/ticket") from None
            except requests.exceptions.RequestException as exc:
                raise ProxmoxConnectionError(
                    f"cannot reach {self.host}:{self.port}: {_reason(exc)}",
                    call="POST /access/ticket",
                ) from None

    def close(self) -> None:
        """Stop the workers and close every pooled HTTPS connection."""
        self.closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._count_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()


ProximityTrustOrConn = TrustError | ProxmoxConnectionError


def _reason(exc: BaseException) -> str:
    """The real cause of a requests/urllib3 error in a few words (`Connection refused`,
    `Connection reset by peer`, `Name or service not known`), without the wrapper noise."""
    cause = _socket_cause(exc)
    if cause is not None:
        return cause
    text = str(exc)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()'\" ").splitlines()[0][:200] if text else type(exc).__name__


def _socket_cause(exc: BaseException) -> str | None:
    """The innermost OS-level error (a socket's `strerror`) anywhere in the chain of causes,
    which requests hides inside `args` and urllib3 inside `reason`."""
    found = None
    stack: list[object] = [exc]
    seen: set[int] = set()
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError):
            # http.client's RemoteDisconnected is a ConnectionError with a message, no strerror
            text = e.strerror or (str(e) if isinstance(e, ConnectionError) else "")
            found = text or found
        stack.extend([e.__cause__, e.__context__, getattr(e, "reason", None), *e.args])
    return found
