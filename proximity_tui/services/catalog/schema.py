"""Reading one catalog file into a `CatalogEntry`, checking every field on the way.

Errors name the file and the field, e.g. `redis.yaml: ports[0].number: must be an integer
1-65535`, so a user editing their own catalog can fix it from the message alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from proximity_tui.errors import ValidationError
from proximity_tui.services.catalog.model import (
    DEFAULT_TEMPLATE,
    ENV_NAME,
    GENERATORS,
    RUNTIME_VARIABLES,
    SOURCES,
    CatalogEntry,
    EnvVar,
    HealthCheck,
    Port,
    Resources,
    Volume,
)
from proximity_tui.text import printable, unsafe_char

#: The C loader parses several times faster; fall back where PyYAML was built without it.
YamlLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ID_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?\Z")
TOP_KEYS = {
    "id", "name", "description", "category", "tags", "website", "version", "compose", "ports",
    "env", "volumes", "resources", "template", "health", "warnings", "source", "notes",
}  # fmt: skip
TEMPLATE_SUFFIXES = (".tar.xz", ".tar.zst", ".tar.gz")
#: A catalog file is a page of YAML; anything far larger is refused before it is parsed.
MAX_FILE_BYTES = 256 * 1024
#: Text fields that may span lines (every other text field is one line).
MULTILINE_FIELDS = {"description"}


class CatalogError(ValidationError):
    """A catalog file cannot be used. `file` and `field` say where; the message says why."""

    def __init__(self, file: str, field: str | None, reason: str) -> None:
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {reason}", field=field)
        self.file = file
        self.reason = reason


def load_entry_file(path: Path, *, source: str = "bundled") -> CatalogEntry:
    """Parse and check one YAML file. Raises `CatalogError` naming the file (and the field)."""
    name = printable(path.name)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise CatalogError(name, None, f"larger than {MAX_FILE_BYTES // 1024} KiB")
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(name, None, "not UTF-8 text") from None
    except OSError as exc:
        raise CatalogError(name, None, f"cannot read: {exc.strerror}") from None
    try:
        refuse_aliases(text, name)
        data = yaml.load(text, Loader=YamlLoader)  # noqa: S506 - a safe loader (C or Python)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CatalogError(name, None, f"invalid YAML: {where}{problem}") from None
    entry = entry_from_mapping(data, file=name, source=source)
    entry.path = path
    return entry


def refuse_aliases(text: str, name: str) -> None:
    """Anchors and aliases are refused: nested ones expand exponentially (a "billion laughs" file
    loads as shared nodes, then every walk over the compose project spins). Only a file that has
    `&` or `*` at all pays for the event scan."""
    if "&" not in text and "*" not in text:
        return
    for event in yaml.parse(text, Loader=YamlLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            mark = event.start_mark
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise CatalogError(name, None, f"{where}YAML anchors and aliases are not allowed")


def entry_from_mapping(data: Any, *, file: str, source: str = "bundled") -> CatalogEntry:
    """Build an entry from a parsed mapping (our YAML layout), checking every field."""
    r = _Reader(file)
    if not isinstance(data, dict):
        raise CatalogError(file, None, f"must be a mapping of fields, got {_kind(data)}")
    unknown = sorted(set(map(str, data)) - TOP_KEYS)
    if unknown:
        raise CatalogError(file, unknown[0], "unknown field")

    declared_source = r.opt_str(data, "source")
    if declared_source is not None and declared_source not in SOURCES:
        raise CatalogError(file, "source", f"must be one of {', '.join(SOURCES)}")
    if declared_source == "imported":
        source = "imported"

    entry_id = r.req_str(data, "id")
    if not ID_PATTERN.match(entry_id):
        raise CatalogError(
            file, "id", f"{entry_id!r}: use lower-case letters, digits, '-', '_' or '.'"
        )
    website = r.opt_str(data, "website") or ""
    if website and not website.startswith(("https://", "http://")):
        raise CatalogError(file, "website", "must start with https:// or http://")
    compose = _compose(r, data.get("compose"))
    ports = _ports(r, data.get("ports"))
    env = _env(r, data.get("env"))
    template = r.opt_str(data, "template") or DEFAULT_TEMPLATE
    if not template.endswith(TEMPLATE_SUFFIXES):
        raise CatalogError(file, "template", "must be a template file name (.tar.xz/.zst/.gz)")
    entry = CatalogEntry(
        id=entry_id,
        name=r.req_str(data, "name"),
        description=r.opt_str(data, "description") or "",
        category=r.req_str(data, "category"),
        compose=compose,
        tags=[t.strip().lower() for t in r.str_list(data, "tags") if t.strip()],
        website=website,
        version=r.opt_str(data, "version") or "",
        ports=ports,
        env=env,
        volumes=_volumes(r, data.get("volumes"), compose),
        resources=_resources(r, data.get("resources")),
        template=template,
        warnings=r.str_list(data, "warnings"),
        notes=r.str_list(data, "notes"),
        source=source,
    )
    entry.health = _health(r, data.get("health"), entry)
    return entry


# --- sections -------------------------------------------------------------------------------------


def _compose(r: _Reader, value: Any) -> dict[str, Any]:
    if value is None:
        raise CatalogError(r.file, "compose", "required")
    if not isinstance(value, dict):
        raise CatalogError(r.file, "compose", f"must be a mapping, got {_kind(value)}")
    services = value.get("services")
    if not isinstance(services, dict) or not services:
        raise CatalogError(r.file, "compose.services", "must be a mapping of at least one service")
    for name, svc in services.items():
        where = f"compose.services.{name}"
        if not isinstance(svc, dict):
            raise CatalogError(r.file, where, f"must be a mapping, got {_kind(svc)}")
        image = svc.get("image")
        if not isinstance(image, str) or not image.strip():
            raise CatalogError(r.file, f"{where}.image", "required: a service runs an image")
    return value


def _ports(r: _Reader, value: Any) -> list[Port]:
    items = r.list_of(value, "ports")
    ports: list[Port] = []
    seen: set[tuple[int, str]] = set()
    for i, item in enumerate(items):
        where = f"ports[{i}]"
        if isinstance(item, int) and not isinstance(item, bool):
            item = {"number": item}
        r.mapping(item, where, {"number", "protocol", "web", "purpose"})
        number = item.get("number")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
            raise CatalogError(r.file, f"{where}.number", "must be an integer 1-65535")
        protocol = item.get("protocol", "tcp")
        if protocol not in ("tcp", "udp"):
            raise CatalogError(r.file, f"{where}.protocol", "must be tcp or udp")
        if (number, protocol) in seen:
            raise CatalogError(r.file, f"{where}.number", f"{number}/{protocol} listed twice")
        seen.add((number, protocol))
        web = r.bool_at(item, "web", where, default=False)
        if web and protocol != "tcp":
            raise CatalogError(r.file, f"{where}.web", "a web UI port is tcp")
        purpose = r.opt_str(item, "purpose", where) or ""
        ports.append(Port(number, protocol, web, purpose))
    if sum(p.web for p in ports) > 1:
        raise CatalogError(r.file, "ports", "at most one port is the web UI (web: true)")
    return ports


ENV_KEYS = {"name", "description", "default", "required", "secret", "generator"}


def _env(r: _Reader, value: Any) -> list[EnvVar]:
    out: list[EnvVar] = []
    for i, item in enumerate(r.list_of(value, "env")):
        where = f"env[{i}]"
        r.mapping(item, where, ENV_KEYS | {"secret_length"})
        name = r.req_str(item, "name", where)
        if not ENV_NAME.match(name):
            raise CatalogError(r.file, f"{where}.name", f"{name!r} is not a variable name")
        if name in RUNTIME_VARIABLES:
            raise CatalogError(
                r.file, f"{where}.name", f"{name} is set by the deploy, not declared"
            )
        if any(v.name == name for v in out):
            raise CatalogError(r.file, f"{where}.name", f"{name} declared twice")
        default = item.get("default")
        if default is not None and not isinstance(default, str):
            raise CatalogError(
                r.file, f"{where}.default", f"must be a string (quote it: '{default}')"
            )
        if default is not None and ("\n" in default or "\0" in default):
            raise CatalogError(r.file, f"{where}.default", "must be one line")
        secret = r.bool_at(item, "secret", where, default=False)
        if secret and default is not None:
            raise CatalogError(
                r.file, f"{where}.default", "a secret has no default: it is generated"
            )
        fmt = r.opt_str(item, "generator", where) or "urlsafe"
        if fmt not in GENERATORS:
            raise CatalogError(
                r.file, f"{where}.generator", f"must be one of {', '.join(GENERATORS)}"
            )
        length = item.get("secret_length", 32)
        if isinstance(length, bool) or not isinstance(length, int) or not 16 <= length <= 128:
            raise CatalogError(r.file, f"{where}.secret_length", "must be an integer 16-128")
        out.append(
            EnvVar(
                name=name,
                description=r.opt_str(item, "description", where) or "",
                default=default,
                required=r.bool_at(item, "required", where, default=False),
                secret=secret,
                generator=fmt,
                secret_length=length,
            )
        )
    return out


def _volumes(r: _Reader, value: Any, compose: dict[str, Any]) -> list[Volume]:
    mounts = volume_mounts(compose)
    if value is None:  # derived from the compose project's named volumes
        return [Volume(name, path) for name, path in mounts.items()]
    out: list[Volume] = []
    for i, item in enumerate(r.list_of(value, "volumes")):
        where = f"volumes[{i}]"
        if isinstance(item, str):
            item = {"name": item}
        r.mapping(item, where, {"name", "path", "description"})
        name = r.req_str(item, "name", where)
        path = r.opt_str(item, "path", where) or mounts.get(name, "")
        out.append(Volume(name, path, r.opt_str(item, "description", where) or ""))
    return out


def volume_mounts(compose: dict[str, Any]) -> dict[str, str]:
    """Named volume -> first container path it is mounted at (short `name:/path` syntax)."""
    named = compose.get("volumes")
    names = set(named) if isinstance(named, dict) else set()
    out: dict[str, str] = {}
    for svc in (compose.get("services") or {}).values():
        for mount in (svc.get("volumes") or []) if isinstance(svc, dict) else []:
            if isinstance(mount, str) and ":" in mount:
                src, _, rest = mount.partition(":")
                if src in names and src not in out:
                    out[src] = rest.split(":")[0]
            elif isinstance(mount, dict) and mount.get("source") in names:
                out.setdefault(str(mount["source"]), str(mount.get("target", "")))
    for name in sorted(names - set(out)):
        out[name] = ""
    return out


RESOURCE_KEYS = ("cores", "memory", "disk", "min_cores", "min_memory", "min_disk")


def _resources(r: _Reader, value: Any) -> Resources:
    if value is None:
        return Resources()
    r.mapping(value, "resources", set(RESOURCE_KEYS))
    base = Resources()
    got: dict[str, int] = {}
    for key in RESOURCE_KEYS:
        v = value.get(key, getattr(base, key))
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            unit = {"memory": " (MB)", "disk": " (GB)"}.get(key.removeprefix("min_"), "")
            raise CatalogError(r.file, f"resources.{key}", f"must be a positive integer{unit}")
        got[key] = v
    for key in ("cores", "memory", "disk"):
        if "min_" + key not in value:  # only a default given: the minimum follows it down
            got["min_" + key] = min(got["min_" + key], got[key])
        if got["min_" + key] > got[key]:
            raise CatalogError(r.file, f"resources.min_{key}", f"must not exceed {key}")
    return Resources(**got)


def _health(r: _Reader, value: Any, entry: CatalogEntry) -> HealthCheck | None:
    has_compose_check = any(
        isinstance(s, dict) and isinstance(s.get("healthcheck"), dict)
        and not s["healthcheck"].get("disable")
        for s in entry.compose["services"].values()
    )  # fmt: skip
    if value is None:  # default: the web UI answers, else the first TCP port accepts
        web = entry.web_port()
        if web is not None:
            return HealthCheck(web.number, "/", has_compose_check)
        tcp = next((p for p in entry.ports if p.protocol == "tcp"), None)
        if tcp is not None:
            return HealthCheck(tcp.number, None, has_compose_check)
        return HealthCheck(None, None, True) if has_compose_check else None
    r.mapping(value, "health", {"port", "path", "compose"})
    port = value.get("port")
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int):
            raise CatalogError(r.file, "health.port", "must be an integer 1-65535")
        if not any(p.number == port and p.protocol == "tcp" for p in entry.ports):
            raise CatalogError(r.file, "health.port", f"{port} is not one of the tcp ports")
    path = value.get("path", "/" if port is not None else None)
    if path is not None and (not isinstance(path, str) or not path.startswith("/")):
        raise CatalogError(r.file, "health.path", "must be an HTTP path starting with /")
    compose = r.bool_at(value, "compose", "health", default=has_compose_check)
    if compose and not has_compose_check:
        raise CatalogError(r.file, "health.compose", "no service has a compose healthcheck")
    if port is None and not compose:
        raise CatalogError(r.file, "health", "needs a port or a compose healthcheck")
    return HealthCheck(port, path, compose)


# --- field readers --------------------------------------------------------------------------------


class _Reader:
    """Typed field access that reports `file: field: reason`."""

    def __init__(self, file: str) -> None:
        self.file = file

    def _name(self, key: str, where: str | None) -> str:
        return f"{where}.{key}" if where else key

    def req_str(self, data: dict[str, Any], key: str, where: str | None = None) -> str:
        value = self.opt_str(data, key, where)
        if not value or not value.strip():
            raise CatalogError(self.file, self._name(key, where), "required")
        return value.strip()

    def opt_str(self, data: dict[str, Any], key: str, where: str | None = None) -> str | None:
        value = data.get(key)
        if isinstance(value, str):
            self.refuse_controls(value, self._name(key, where), newlines=key in MULTILINE_FIELDS)
        if value is None or isinstance(value, str):
            return value
        hint = " (quote it)" if isinstance(value, int | float) else ""
        raise CatalogError(
            self.file, self._name(key, where), f"must be a string, got {_kind(value)}{hint}"
        )

    def str_list(self, data: dict[str, Any], key: str) -> list[str]:
        items = self.list_of(data.get(key), key)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise CatalogError(self.file, f"{key}[{i}]", f"must be a string, got {_kind(item)}")
            self.refuse_controls(item, f"{key}[{i}]")
        return list(items)

    def refuse_controls(self, value: str, field: str, *, newlines: bool = False) -> None:
        """Catalog text reaches terminals: escape sequences and bidi controls are refused."""
        bad = unsafe_char(value, newlines=newlines)
        if bad is not None:
            raise CatalogError(self.file, field, f"contains a control character ({printable(bad)})")

    def list_of(self, value: Any, key: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise CatalogError(self.file, key, f"must be a list, got {_kind(value)}")
        return value

    def mapping(self, value: Any, where: str, allowed: set[str]) -> None:
        if not isinstance(value, dict):
            raise CatalogError(self.file, where, f"must be a mapping, got {_kind(value)}")
        unknown = sorted(set(map(str, value)) - allowed)
        if unknown:
            raise CatalogError(self.file, f"{where}.{unknown[0]}", "unknown field")

    def bool_at(self, data: dict[str, Any], key: str, where: str, *, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise CatalogError(self.file, f"{where}.{key}", "must be true or false")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"{type(value).__name__} {value!r}"
    )
