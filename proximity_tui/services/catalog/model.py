"""The catalog's data model: one `CatalogEntry` per app, plus what a deploy needs from it.

An entry holds a Docker Compose project as a mapping. The deploy writes `compose.yaml` and a `.env`
(mode 0600) next to it; the compose file refers to values as `${NAME}`, so secrets are generated
per deploy (`render_environment`) and never written into the catalog.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from proximity_tui.errors import ValidationError

DEFAULT_TEMPLATE = "alpine-3.22-default_20250617_amd64.tar.xz"
SOURCES = ("bundled", "user", "imported")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: Kinds of generated secret: how each is produced from `length` random units.
GENERATORS = ("urlsafe", "hex", "alnum", "base64")
_ALNUM = string.ascii_letters + string.digits
#: Values only the deploy knows. A compose file may use them as `${NAME}`; the deploy passes them
#: to `render_environment` (an entry never declares them in `env`).
#: How often a deploy's app is probed while it starts (`deploy_compose_yaml`).
START_INTERVAL = "1s"
RUNTIME_VARIABLES = {
    "PROXIMITY_HOSTNAME": "the container's hostname",
    "PROXIMITY_ADDRESS": "the container's IP address (without a port)",
}
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Port:
    """A port published inside the container (the host side of a compose mapping)."""

    number: int
    protocol: str = "tcp"
    web: bool = False
    purpose: str = ""


@dataclass(frozen=True)
class EnvVar:
    """A variable of the app's `.env`. `secret: true` values are generated per deploy."""

    name: str
    description: str = ""
    default: str | None = None
    required: bool = False
    secret: bool = False
    #: How a secret is generated (see `GENERATORS`) and its length in characters
    #: (bytes for `base64`, which some apps need as exactly 32 random bytes).
    generator: str = "urlsafe"
    secret_length: int = 32

    def generate(self) -> str:
        n = self.secret_length
        if self.generator == "hex":
            return secrets.token_hex((n + 1) // 2)[:n]
        if self.generator == "alnum":
            return "".join(secrets.choice(_ALNUM) for _ in range(n))
        if self.generator == "base64":
            return base64.b64encode(secrets.token_bytes(n)).decode("ascii")
        while True:  # a leading '-' would read as an option where a value lands in argv
            value = secrets.token_urlsafe(n)[:n]
            if value[0].isalnum():
                return value


@dataclass(frozen=True)
class Volume:
    """A named compose volume: where it is mounted and what it keeps."""

    name: str
    path: str = ""
    description: str = ""


@dataclass(frozen=True)
class Resources:
    """Container size: defaults and minimums. Memory in MB, disk in GB."""

    cores: int = 1
    memory: int = 512
    disk: int = 4
    min_cores: int = 1
    min_memory: int = 256
    min_disk: int = 2


@dataclass(frozen=True)
class HealthCheck:
    """How the deploy knows the app is up.

    `port` with `path`: an HTTP GET that must answer below 500 (redirects count as up);
    `port` alone: a TCP connect. `compose`: also wait for the services' compose healthchecks.
    """

    port: int | None = None
    path: str | None = "/"
    compose: bool = False


@dataclass
class CatalogEntry:
    id: str
    name: str
    description: str
    category: str
    compose: dict[str, Any]
    tags: list[str] = field(default_factory=list)
    website: str = ""
    version: str = ""
    ports: list[Port] = field(default_factory=list)
    env: list[EnvVar] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    resources: Resources = field(default_factory=Resources)
    template: str = DEFAULT_TEMPLATE
    health: HealthCheck | None = None
    warnings: list[str] = field(default_factory=list)
    #: What a converter dropped or changed on the way from a store's files (`code: message`).
    notes: list[str] = field(default_factory=list)
    source: str = "bundled"
    path: Path | None = None

    @property
    def ref(self) -> str:
        """How the catalog names the entry: its id, or `source/id` for an added source's."""
        return self.id if self.source in SOURCES else f"{self.source}/{self.id}"

    # --- ports -----------------------------------------------------------------------------------

    def web_port(self) -> Port | None:
        """The port of the web UI, if the app has one."""
        return next((p for p in self.ports if p.web), None)

    def url(self, address: str) -> str | None:
        """The web UI's address on a container with IP `address` (None without a web UI)."""
        port = self.web_port()
        if port is None:
            return None
        suffix = "" if port.number == 80 else f":{port.number}"
        return f"http://{address}{suffix}/"

    # --- environment -----------------------------------------------------------------------------

    def secret_names(self) -> list[str]:
        return [v.name for v in self.env if v.secret]

    def runtime_variables(self) -> list[str]:
        """The `RUNTIME_VARIABLES` this compose project uses (the deploy must pass them)."""
        used = compose_variables(self.compose)
        return [name for name in RUNTIME_VARIABLES if name in used]

    def render_environment(self, overrides: dict[str, str] | None = None) -> dict[str, str]:
        """The `.env` values for one deploy: defaults, freshly generated secrets, then overrides
        (which also carry the `runtime_variables()`, e.g. `PROXIMITY_ADDRESS`).

        Raises `ValidationError` (naming the variable, never its value) for a missing required
        value, a name that is not a valid variable name, or a value holding NUL or a line break.
        """
        overrides = dict(overrides or {})
        for name, value in overrides.items():
            check_env_value(name, value)
        out: dict[str, str] = {}
        for var in self.env:
            if var.name in overrides:
                out[var.name] = overrides.pop(var.name)
            elif var.secret:
                out[var.name] = var.generate()
            elif var.default is not None:
                out[var.name] = var.default
            elif var.required:
                raise ValidationError(
                    f"{self.id}: {var.name} is required"
                    + (f" ({var.description})" if var.description else ""),
                    field=var.name,
                )
        for name in self.runtime_variables():
            if name not in overrides:
                raise ValidationError(
                    f"{self.id}: {name} ({RUNTIME_VARIABLES[name]}) must be given by the deploy",
                    field=name,
                )
        out.update(overrides)  # runtime values and extra variables the user added
        return out

    # --- compose ---------------------------------------------------------------------------------

    def compose_yaml(self) -> str:
        """The compose project as the text of `compose.yaml`. Kept once made: an entry's compose
        is not changed after it is loaded (a catalog reload makes new entries), and the pure
        Python dumper costs about a millisecond a deploy."""
        text: str | None = self.__dict__.get("_compose_text")
        if text is None:
            text = yaml.dump(
                self.compose, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100
            )
            self.__dict__["_compose_text"] = text
        return text

    def deploy_compose_yaml(self) -> str:
        """`compose_yaml` as a deploy writes it: every service's healthcheck probes each
        `START_INTERVAL` while the app starts, so the deploy sees `healthy` about when the app
        is, not at Docker's 5 s default (moby `daemon/health.go`: `start_interval` applies
        only within the check's start period; after it, the image's own interval). A service
        without a check gets none: an override with no `test` takes the image's (moby
        `daemon/commit.go` merge), and an image without one has none. Kept once made."""
        text: str | None = self.__dict__.get("_deploy_compose_text")
        if text is None:
            compose = copy.deepcopy(self.compose)
            for svc in (compose.get("services") or {}).values():
                if not isinstance(svc, dict):
                    continue
                check = svc.get("healthcheck")
                if check is None:
                    svc["healthcheck"] = {"start_interval": START_INTERVAL}
                elif isinstance(check, dict) and not (
                    check.get("disable") or check.get("test") in (["NONE"], "NONE")
                ):
                    check.setdefault("start_interval", START_INTERVAL)
            text = yaml.dump(
                compose, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100
            )
            self.__dict__["_deploy_compose_text"] = text
        return text

    def images(self) -> list[str]:
        services = self.compose.get("services") or {}
        return [
            str(s["image"]) for s in services.values() if isinstance(s, dict) and s.get("image")
        ]

    # --- serialisation ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The entry in the catalog YAML layout (also what `catalog --json` prints)."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "category": self.category,
            "tags": list(self.tags),
            "website": self.website,
            "version": self.version,
            "ports": [_port_dict(p) for p in self.ports],
            "env": [_env_dict(v) for v in self.env],
            "volumes": [_drop_empty(vars(v)) for v in self.volumes],
            "resources": dict(vars(self.resources)),
            "template": self.template,
        }
        if self.health is not None:
            out["health"] = dict(vars(self.health))
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.notes:
            out["notes"] = list(self.notes)
        if self.source == "imported":
            out["source"] = "imported"
        out["compose"] = self.compose
        return out

    def to_yaml(self) -> str:
        return yaml.dump(
            self.to_dict(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
        )


def compose_variables(compose: Any) -> set[str]:
    """Names interpolated anywhere in a compose project (`$$` is a literal dollar)."""
    out: set[str] = set()
    stack = [compose]
    while stack:
        obj = stack.pop()
        if isinstance(obj, str):
            for m in _VARIABLE.finditer(obj.replace("$$", "")):
                out.add(m.group(1) or m.group(2))
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list):
            stack.extend(obj)
    return out


def check_env_value(name: str, value: object) -> None:
    if not isinstance(name, str) or not ENV_NAME.match(name):
        raise ValidationError(f"not a valid environment variable name: {name!r}", field=str(name))
    if not isinstance(value, str):
        raise ValidationError(f"{name}: value must be a string", field=name)
    if "\0" in value or "\n" in value or "\r" in value:
        raise ValidationError(f"{name}: value must not contain NUL or line breaks", field=name)
    try:  # bytes that were not UTF-8 (argv, a file) arrive as lone surrogates: no .env holds them
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{name}: value is not valid UTF-8 text", field=name) from None


def dotenv_text(values: dict[str, str]) -> str:
    """The text of a `.env` file for `docker compose`, every value taken literally.

    Single quotes stop compose from interpolating `$`; a quote inside is escaped as `\\'`.
    A backslash right before a quote or at the end cannot be written unambiguously: refused.
    """
    lines = []
    for name, value in values.items():
        check_env_value(name, value)
        if value.endswith("\\") or "\\'" in value:
            raise ValidationError(
                f"{name}: a backslash before a quote or at the end cannot go in .env", field=name
            )
        lines.append(f"{name}='" + value.replace("'", "\\'") + "'")
    return "\n".join(lines) + "\n"


def parse_dotenv(text: str) -> dict[str, str]:
    """The values of a `.env` that `dotenv_text` wrote (`NAME='value'`, `\\'` a quote); other
    lines are ignored."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        found = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)='(.*)'", line)
        if found:
            out[found.group(1)] = found.group(2).replace("\\'", "'")
    return out


def _port_dict(p: Port) -> dict[str, Any]:
    out: dict[str, Any] = {"number": p.number}
    if p.protocol != "tcp":
        out["protocol"] = p.protocol
    if p.web:
        out["web"] = True
    if p.purpose:
        out["purpose"] = p.purpose
    return out


def _env_dict(v: EnvVar) -> dict[str, Any]:
    out: dict[str, Any] = {"name": v.name}
    if v.description:
        out["description"] = v.description
    if v.default is not None:
        out["default"] = v.default
    if v.required:
        out["required"] = True
    if v.secret:
        out["secret"] = True
        if v.generator != "urlsafe":
            out["generator"] = v.generator
        if v.secret_length != 32:
            out["secret_length"] = v.secret_length
    return out


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in ("", None)}


class _Dumper(yaml.SafeDumper):
    """Block-style YAML that keeps multi-line strings readable."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)
