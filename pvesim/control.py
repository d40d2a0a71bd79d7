"""The control endpoint, outside `/api2/`: change faults and connectivity of a running simulator.

Every call needs `Authorization: Bearer <token secret>` (the session's API token secret), so
nothing else on loopback can break the demo. Routes:
`GET|POST|DELETE /_sim/faults`, `DELETE /_sim/faults/{id}`, `POST /_sim/offline` (`{"offline":
true}`: every /api2 request is dropped), `GET|DELETE /_sim/stats`, `GET /_sim/gates` (each gate's
counts) and `POST /_sim/gates/{name}` (`{"open": true|false}`: open or close a gate, see gates.py).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web

from pvesim.faults import FaultRule


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


class Control:
    def __init__(self, secret: str, faults: Any, stats: Any, api: Any = None) -> None:
        self.secret = secret
        self.faults = faults
        self.stats = stats
        self.api = api

    async def handle(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else ""
        if not given or not hmac.compare_digest(given, self.secret):
            return _json({"error": "control endpoint needs the session's token secret"}, 401)
        parts = [p for p in request.path.split("/") if p][1:]
        method = request.method
        try:
            if parts == ["faults"] and method == "GET":
                return _json(self._faults())
            if parts == ["faults"] and method == "POST":
                return _json(self._add(await request.json()))
            if parts == ["faults"] and method == "DELETE":
                self.faults.clear()
                return _json(self._faults())
            if len(parts) == 2 and parts[0] == "faults" and method == "DELETE":
                if not parts[1].isdigit() or not self.faults.remove(int(parts[1])):
                    return _json({"error": f"no fault rule {parts[1]}"}, 400)
                return _json(self._faults())
            if parts == ["offline"] and method == "POST":
                body = await request.json() if request.can_read_body else {}
                offline = bool(body.get("offline", True)) if isinstance(body, dict) else True
                self.api.offline = offline
                return _json({"offline": offline})
            if parts == ["gates"] and method == "GET":
                return _json({n: g.to_dict() for n, g in self.faults.gates().items()})
            if len(parts) == 2 and parts[0] == "gates" and method == "POST":
                body = await request.json() if request.can_read_body else {}
                gate = self.faults.gate(parts[1])
                if isinstance(body, dict) and body.get("open", True) is False:
                    gate.close()
                else:
                    gate.open()
                return _json({parts[1]: gate.to_dict()})
            if parts == ["stats"] and method == "GET":
                return _json(self.stats.to_dict())
            if parts == ["stats"] and method == "DELETE":
                self.stats.reset()
                return _json(self.stats.to_dict())
        except (ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"error": f"unknown control call {method} {request.path}"}, 400)

    def _faults(self) -> dict[str, Any]:
        return {
            "latency": self.faults.latency,
            "rules": [{**r.to_dict(), "id": r.id, "fired": r.fired} for r in self.faults.rules()],
        }

    def _add(self, body: Any) -> dict[str, Any]:
        if isinstance(body, dict) and set(body) <= {"latency", "rules"} and body:
            if "latency" in body:
                self.faults.latency = float(body["latency"])
            items = body.get("rules", [])
        else:
            items = body if isinstance(body, list) else [body]
        rules = [FaultRule.from_dict(item) for item in items]
        ids = [self.faults.add(rule) for rule in rules]
        return {"ids": ids, **self._faults()}
