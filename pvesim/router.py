"""Path templates (`/nodes/{node}/lxc/{vmid}`) -> handlers, matched segment by segment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from pvesim.params import Param


@dataclass
class Reply:
    """A handler's answer: `data`, plus PVE's `total` for paged lists."""

    data: Any
    total: int | None = None
    #: The whole JSON body, already encoded (the big listings build it from cached parts).
    raw: str | None = None


@dataclass
class Ctx:
    state: Any
    params: dict[str, Any]
    #: `root@pam` or `root@pam!proximity` (what tasks record and permissions check).
    user: str
    is_token: bool
    services: Any = None
    method: str = "GET"

    def check(self, path: str, *privs: str, any_: bool = False) -> None:
        """403 unless the caller holds `privs` (all, or any) on `path` (`acl.py`)."""
        self.state.access.check(self.user, path, privs, any_=any_)

    def allowed(self, path: str, *privs: str, any_: bool = False) -> bool:
        return self.state.access.allowed(self.user, path, privs, any_=any_)


Handler = Callable[[Ctx], Awaitable[Any]]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    spec: dict[str, Param]
    #: Whether API tokens may call it (PVE's `allowtoken`).
    allowtoken: bool = True
    #: No authentication needed (`/access/ticket`).
    public: bool = False
    parts: tuple[str, ...] = field(default=(), init=False)
    #: It may match more segments than it has (a placeholder that can hold slashes).
    greedy: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.parts = tuple(p for p in self.template.split("/") if p)
        self.greedy = bool(self.parts) and (self.parts[-1] in GREEDY or "{upid}" in self.parts)

    def bind(self, parts: list[str]) -> dict[str, str] | None:
        """The path parameters when `parts` (decoded segments) match this template, else None.

        `{volume}` at the end takes the rest of the path and `{upid}` runs to the segment that
        ends its UPID (with `:`), so ids with raw slashes (`local:backup/vzdump-...`) still
        route, whether or not the client percent-encoded them.
        """
        params: dict[str, str] = {}
        i = 0
        for k, want in enumerate(self.parts):
            if i >= len(parts):
                return None
            last = k == len(self.parts) - 1
            if want in GREEDY and last:
                params[want[1:-1]] = "/".join(parts[i:])
                return params
            if want == "{upid}":
                j = i
                while not parts[j].endswith(":") and j + 1 < len(parts) - (len(self.parts) - k - 1):
                    j += 1
                params["upid"] = "/".join(parts[i : j + 1])
                i = j + 1
                continue
            if want.startswith("{"):
                params[want[1:-1]] = parts[i]
            elif want != parts[i]:
                return None
            i += 1
        return params if i == len(parts) else None


@dataclass
class Match:
    route: Route
    path_params: dict[str, str]


#: Placeholders that may hold slashes, so they take the rest of the path.
GREEDY = {"{volume}"}

HANDLERS: dict[tuple[str, str], tuple[Handler, bool, bool]] = {}


def api(method: str, template: str, *, allowtoken: bool = True, public: bool = False):
    """Register a handler for `method template` (its parameters come from `specs.SPECS`)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[(method, template)] = (fn, allowtoken, public)
        return fn

    return register


class Router:
    def __init__(self, specs: dict[tuple[str, str], dict[str, Param]]) -> None:
        self._by_length: dict[int, list[Route]] = {}
        missing = set(specs) ^ set(HANDLERS)
        if missing:
            raise RuntimeError(f"routes without spec or handler: {sorted(missing)}")
        for (method, template), spec in specs.items():
            fn, allowtoken, public = HANDLERS[(method, template)]
            route = Route(method, template, fn, spec, allowtoken, public)
            self._by_length.setdefault(len(route.parts), []).append(route)
        # literal segments first, so `/nodes/{node}/lxc` never shadows a fixed path
        for routes in self._by_length.values():
            routes.sort(key=lambda r: sum(p.startswith("{") for p in r.parts))

    def _candidates(self, count: int) -> list[Route]:
        routes = list(self._by_length.get(count, ()))
        routes += [r for n, rs in self._by_length.items() if n < count for r in rs if r.greedy]
        return routes

    def match(self, method: str, path: str) -> Match | None:
        """`path` is the raw (still percent-encoded) path: `%2F` inside a segment stays in it."""
        parts = [unquote(p) for p in path.split("/") if p]
        for route in self._candidates(len(parts)):
            if route.method != method:
                continue
            params = route.bind(parts)
            if params is not None:
                return Match(route, params)
        return None

    def template_for(self, path: str) -> str | None:
        """The template a path belongs to, whatever the method (for counters and faults)."""
        parts = [unquote(p) for p in path.split("/") if p]
        for route in self._candidates(len(parts)):
            if route.bind(parts) is not None:
                return route.template
        return None
