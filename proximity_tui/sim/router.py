"""Path templates (`/nodes/{node}/lxc/{vmid}`) -> handlers, matched segment by segment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from proximity_tui.sim.params import Param


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

    def __post_init__(self) -> None:
        self.parts = tuple(p for p in self.template.split("/") if p)


@dataclass
class Match:
    route: Route
    path_params: dict[str, str]


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

    def match(self, method: str, path: str) -> Match | None:
        parts = [unquote(p) for p in path.split("/") if p]
        for route in self._by_length.get(len(parts), ()):
            if route.method != method:
                continue
            params: dict[str, str] = {}
            for want, got in zip(route.parts, parts, strict=True):
                if want.startswith("{"):
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return Match(route, params)
        return None

    def template_for(self, path: str) -> str | None:
        """The template a path belongs to, whatever the method (for counters and faults)."""
        parts = [p for p in path.split("/") if p]
        for route in self._by_length.get(len(parts), ()):
            if all(w.startswith("{") or w == g for w, g in zip(route.parts, parts, strict=True)):
                return route.template
        return None
