"""The HTTPS API server (aiohttp): PVE's envelope, auth, errors and fault injection.

Every request to `/api2/json/...` goes through `ApiServer.handle()`: counters, latency and
faults, `501` for a body on GET/DELETE, authentication (`401` with an empty body, delayed like
PVE's), routing (`501 Method '...' not implemented`, never 404), parameter verification (`400`),
then the handler. Errors carry the first line of PVE's message as the HTTP reason phrase.
`/_sim/...` is the control endpoint (see `control.py`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import threading
from collections import Counter
from typing import Any

from aiohttp import web

from pvesim import (  # noqa: F401 - importing registers the handlers
    routes_access,
    routes_admin,
    routes_cluster,
    routes_lxc,
    routes_storage,
)
from pvesim.auth import Authenticator, AuthFailed
from pvesim.errors import PveError, param_error
from pvesim.faults import FaultRule, FaultSet
from pvesim.params import verify
from pvesim.router import Ctx, Match, Reply, Router
from pvesim.specs import SPECS

log = logging.getLogger(__name__)

PREFIX = "/api2/json"
#: PVE delays every failed authentication by 3 s (scaled by the time scale here).
AUTH_FAILURE_DELAY = 3.0
_HEADERS = {
    "Server": "pve-api-daemon/3.0",
    "Cache-Control": "max-age=0",
    "Pragma": "no-cache",
    "Expires": "Thu, 01 Jan 1970 00:00:00 GMT",
}


class ApiStats:
    """Request counters: total and per `METHOD /path/{template}`; thread-safe for tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._total = 0

    def count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1
            self._total += 1

    @property
    def total(self) -> int:
        with self._lock:
            return self._total

    def get(self, key: str) -> int:
        with self._lock:
            return self._counts[key]

    def by_call(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._total = 0

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"total": self._total, "calls": dict(self._counts)}


def _reason(message: str) -> str:
    first = message.split("\n", 1)[0].strip() or "Error"
    return first.encode("latin-1", "replace").decode("latin-1")[:512]


def error_response(
    status: int, message: str, errors: dict[str, str] | None = None, *, body: bool = True
) -> web.Response:
    if not body:
        return web.Response(status=status, reason=_reason(message), headers=_HEADERS)
    payload: dict[str, Any] = {"data": None, "message": message.rstrip("\n") + "\n"}
    if errors:
        payload["errors"] = errors
    return web.Response(
        status=status,
        reason=_reason(message),
        text=json.dumps(payload),
        content_type="application/json",
        charset="UTF-8",
        headers=_HEADERS,
    )


def data_response(reply: Reply) -> web.Response:
    if reply.raw is not None:
        text = reply.raw
    else:
        payload: dict[str, Any] = {"data": reply.data}
        if reply.total is not None:
            payload["total"] = reply.total
        text = json.dumps(payload, separators=(",", ":"))
    return web.Response(
        text=text,
        content_type="application/json",
        charset="UTF-8",
        headers=_HEADERS,
    )


class Dropped(Exception):
    """Close the connection without answering."""


class ApiServer:
    def __init__(
        self,
        state: Any,
        auth: Authenticator,
        faults: FaultSet,
        stats: ApiStats,
        *,
        control: Any = None,
    ) -> None:
        self.state = state
        self.auth = auth
        self.faults = faults
        self.stats = stats
        self.control = control
        self.router = Router(SPECS)
        #: "drop": every /api2 request is cut off (the control endpoint keeps working).
        self.offline = False
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._host = "127.0.0.1"
        self._port = 0
        self._ssl: ssl.SSLContext | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str, port: int, ssl_context: ssl.SSLContext) -> int:
        app = web.Application(client_max_size=16 * 1024**2)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._host, self._ssl = host, ssl_context
        self._site = web.TCPSite(self._runner, host, port, ssl_context=ssl_context)
        await self._site.start()
        server = self._site._server
        assert server is not None and server.sockets
        self._port = server.sockets[0].getsockname()[1]
        return self._port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def refuse(self, refuse: bool) -> None:
        """Stop listening (connections refused) or listen again on the same port."""
        if refuse and self._site is not None:
            await self._site.stop()
            self._site = None
        elif not refuse and self._site is None and self._runner is not None:
            self._site = web.TCPSite(self._runner, self._host, self._port, ssl_context=self._ssl)
            await self._site.start()

    # --- one request -----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/_sim" or path.startswith("/_sim/"):
            if self.control is None:
                return error_response(501, f"Method '{request.method} {path}' not implemented")
            return await self.control.handle(request)
        try:
            return await self._handle_api(request, path)
        except Dropped:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError from None

    async def _handle_api(self, request: web.Request, path: str) -> web.StreamResponse:
        if self.offline:
            raise Dropped
        method = request.method
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            return error_response(501, f"Method '{method} {path}' not implemented")
        sub = path[len(PREFIX) :] or "/"
        raw_sub = request.rel_url.raw_path[len(PREFIX) :] or "/"
        match = self.router.match(method, raw_sub)
        template = match.route.template if match else (self.router.template_for(raw_sub) or sub)
        self.stats.count(f"{method} {template}")
        params_in_path = match.path_params if match else {}
        node = self.state.nodes.get(params_in_path.get("node") or "")
        if node is not None and not node.online:
            # pveproxy proxies a call for another node to it (pve-http-server
            # src/PVE/APIServer/AnyEvent.pm proxy_request); AnyEvent::HTTP answers a connection
            # that cannot be made with status 595 and the reason as message.
            return error_response(595, "No route to host")
        vmid = params_in_path.get("vmid")
        rule = self.faults.match_api(
            method,
            sub,
            node=params_in_path.get("node"),
            vmid=int(vmid) if vmid and vmid.isdigit() else None,
        )
        # pveproxy reads the whole request, body included, before it handles it (pve-http-server
        # src/PVE/APIServer/AnyEvent.pm: unshift_read_header, then unshift_read(chunk => $len)
        # before handle_request), and the handler, once running, ends whether or not the client
        # still waits. So a call held or delayed here is read first and carried out even when
        # its client gave up: an answer lost, not a call.
        body = await request.read()
        gate = self.faults.gate_of(rule)
        if gate is not None:
            async with gate.hold():  # a test facility: the call waits until the test opens it
                return await self._answer(request, body, method, sub, match, rule)
        return await self._answer(request, body, method, sub, match, rule)

    async def _answer(
        self,
        request: web.Request,
        body: bytes,
        method: str,
        sub: str,
        match: Match | None,
        rule: FaultRule | None,
    ) -> web.StreamResponse:
        delay = self.faults.latency + (rule.delay if rule else 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        if rule is not None and rule.drop:
            raise Dropped
        if rule is not None and rule.http_status:
            message = rule.message or _DEFAULT_FAULT_MESSAGES.get(rule.http_status, "fault")
            return error_response(rule.http_status, message)
        if method in ("GET", "DELETE", "HEAD") and body:
            # answered by the HTTP layer itself, before any API handling: no JSON body
            return error_response(501, f"Unexpected content for method '{method}'", body=False)
        public = match is not None and match.route.public
        identity = None
        if not public:
            try:
                identity = self.auth.authenticate(
                    method,
                    request.headers.get("Authorization"),
                    request.cookies.get("PVEAuthCookie"),
                    request.headers.get("CSRFPreventionToken"),
                )
            except AuthFailed as exc:
                await asyncio.sleep(self.state.clock.scaled(AUTH_FAILURE_DELAY))
                return error_response(401, exc.message, body=False)
        if match is None:
            return error_response(501, f"Method '{method} {sub}' not implemented")
        try:
            raw = self._raw_params(request, body)
            raw.update(match.path_params)
            typed = verify(match.route.spec, raw)
            if identity is not None and identity.is_token and not match.route.allowtoken:
                raise PveError(403, "Permission check failed")
            ctx = Ctx(
                state=self.state,
                params=typed,
                user=identity.authid if identity else "",
                is_token=bool(identity and identity.is_token),
                services=self,
                method=method,
            )
            result = await match.route.handler(ctx)
        except PveError as exc:
            if exc.status == 401:
                await asyncio.sleep(self.state.clock.scaled(AUTH_FAILURE_DELAY))
            return error_response(exc.status, exc.message, exc.errors)
        reply = result if isinstance(result, Reply) else Reply(result)
        return data_response(reply)

    @staticmethod
    def _raw_params(request: web.Request, body: bytes) -> dict[str, str]:
        raw: dict[str, str] = dict(request.query)
        if not body:
            return raw
        ctype = request.content_type
        if ctype == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                raise param_error({"_root": "invalid JSON"}) from None
            if not isinstance(data, dict):
                raise param_error({"_root": "not an object"})
            for key, value in data.items():
                if isinstance(value, bool):
                    raw[key] = "1" if value else "0"
                else:
                    raw[key] = str(value)
            return raw
        from urllib.parse import parse_qsl

        raw.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return raw


_DEFAULT_FAULT_MESSAGES = {
    400: "Parameter verification failed.",
    401: "authentication failure",
    403: "Permission check failed",
    500: "internal error",
    501: "not implemented",
    503: "service unavailable",
}
