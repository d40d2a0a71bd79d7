"""CasaOS app stores (the official one and Big Bear's): a compose file with `x-casaos` blocks.

`convert_casaos` is pure: the files of one `Apps/<name>/` folder in, one entry out (or `Skipped`
with the reason). Spec: CasaOS `docs/specs/compose-and-x-casaos.md`. What changes on the way:
- `title`/`tagline`/`description`/`tips` (en_US) become name and description; `category`,
  `port_map` (the web port), `scheme` and `index` (the health check), `architectures` (no amd64:
  skipped) are read; every `x-casaos` block, `container_name` and the obsolete `version` dropped
  (a container name other services used as a host name is replaced by the service's name);
- `/DATA/AppData/$AppID/<p>` becomes the named volume `<p>`; other `/DATA/<Dir>` (Media,
  Downloads...) an optional bind mount `${<DIR>_DIR}` that is a named volume unless the user
  gives a directory; `$PUID`/`$PGID` become 1000, `$AppID` the project name, `$TZ` a variable;
- literal passwords become generated secrets (`convert_common.replace_literal_secrets`), and
  the tips stop quoting them; memory reservations become the minimum memory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from proximity_tui.services.catalog.convert_common import (
    Declared,
    Skipped,
    clean_text,
    declare_variables,
    map_strings,
    memory_mb,
    rename_hosts,
    replace_literal_secrets,
    slug,
    substitute,
)
from proximity_tui.services.catalog.lint import lint_entry
from proximity_tui.services.catalog.model import CatalogEntry
from proximity_tui.services.catalog.ports import entry_ports
from proximity_tui.services.catalog.schema import (
    ID_PATTERN,
    MAX_FILE_BYTES,
    CatalogError,
    YamlLoader,
    entry_from_mapping,
    refuse_aliases,
)

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml")
APPDATA = re.compile(r"^/DATA/AppData/(?:\$\{?AppID\}?|[^/]+)(?:/(.*))?$")
DATA_DIR = re.compile(r"^/DATA(?:/([^/]+))?(/.*)?$")
#: Host files a container reads for the time: the CT has its own, `TZ` says the zone.
TIME_FILES = {"/etc/localtime", "/etc/timezone"}
#: The store's placeholders for the machine's address: the CT's address is known at deploy.
ADDRESS_PLACEHOLDER = re.compile(r"\[(?:YOUR_)?(?:CASAOS_(?:LAN_)?IP|CHANGE_TO_LAN_IP|IP)\]")


def convert_casaos(app: str, files: Mapping[str, bytes], *, source: str) -> CatalogEntry:
    """One store app folder (`files`: name -> content) as a catalog entry of `source`."""
    raw = next((files[n] for n in COMPOSE_FILES if n in files), None)
    if raw is None:
        raise Skipped("no docker-compose.yml")
    data = _parse(raw)
    x: dict[str, Any] = data["x-casaos"] if isinstance(data.get("x-casaos"), dict) else {}
    notes: list[str] = []
    archs = x.get("architectures")
    if isinstance(archs, list) and "amd64" not in [str(a) for a in archs]:
        raise Skipped(f"no amd64 image (architectures: {', '.join(map(str, archs))})")
    if not isinstance(archs, list):
        notes.append("architectures: not stated; amd64 assumed")
    entry_id = slug(app)
    if not ID_PATTERN.match(entry_id):
        raise Skipped(f"{app!r} cannot be made a catalog id")
    project = str(data.get("name") or entry_id)
    compose, declared, min_memory = _compose(data, project, notes)
    secrets = replace_literal_secrets(compose, declared)
    declare_variables(compose, declared)
    notes.extend(declared.notes)
    services = compose["services"]
    main = str(x.get("main") or next(iter(services)))
    ports, web, health_note = entry_ports(compose, main, x.get("port_map"), _service_ports(data))
    if health_note:
        notes.append(health_note)
    mapping: dict[str, Any] = {
        "id": entry_id,
        "name": clean_text(_en(x.get("title"))) or app,
        "description": _description(x, secrets, notes),
        "category": clean_text(x.get("category")) or "Other",
        "tags": [slug(str(x["category"]))] if x.get("category") else [],
        "website": _website(x),
        "version": clean_text(x.get("version")) or _image_tag(services.get(main)),
        "ports": ports,
        "env": declared.env,
        "volumes": _volumes(compose, data),
        "resources": _resources(min_memory),
        "compose": compose,
    }
    if web is not None:
        https = str(x.get("scheme") or "http").lower() == "https"
        index = str(x.get("index") or "/")
        mapping["health"] = {"port": web, "path": None if https else _path(index)}
        if https:
            notes.append("scheme-https: the web UI answers over https; the health check is TCP")
    try:
        entry = entry_from_mapping(mapping, file=f"{app}/docker-compose.yml", source=source)
    except CatalogError as exc:
        raise Skipped(f"{exc.field or 'entry'}: {exc.reason}") from None
    entry.warnings = lint_entry(entry)
    entry.notes = list(dict.fromkeys(notes))
    return entry


def _parse(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_FILE_BYTES:
        raise Skipped(f"docker-compose.yml larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Skipped("docker-compose.yml is not UTF-8 text") from None
    try:
        refuse_aliases(text, "docker-compose.yml")
        data = yaml.load(text, Loader=YamlLoader)  # noqa: S506 - a safe loader
    except CatalogError as exc:
        raise Skipped(exc.reason) from None
    except yaml.YAMLError as exc:
        raise Skipped(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise Skipped("docker-compose.yml is not a mapping")
    services = data.get("services")
    if not isinstance(services, dict) or not services:
        raise Skipped("no services")
    for name, svc in services.items():
        if not isinstance(svc, dict) or not isinstance(svc.get("image"), str):
            raise Skipped(f"service {name} has no image (built from source)")
    return data


def _compose(
    data: dict[str, Any], project: str, notes: list[str]
) -> tuple[dict[str, Any], Declared, int]:
    declared = Declared()
    values = {"PUID": "1000", "PGID": "1000", "AppID": project, "TZ": "${TZ}"}
    compose: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("x-casaos", "name", "version") or str(key).startswith("x-"):
            if key == "version":
                notes.append("dropped: the obsolete top-level version")
            continue
        compose[key] = map_strings(value, lambda s: _address(substitute(s, values), notes))
    notes.append("dropped: x-casaos blocks (store metadata)")
    services: dict[str, Any] = compose["services"]
    renames: dict[str, str] = {}
    min_memory = 0
    for name, svc in services.items():
        for key in [k for k in svc if str(k).startswith("x-")]:
            del svc[key]
        cname = svc.pop("container_name", None)
        if isinstance(cname, str) and cname != name:
            renames[cname] = str(name)
        min_memory += _take_reservation(svc)
        svc_volumes = svc.get("volumes")
        if isinstance(svc_volumes, list):
            svc["volumes"] = [_mount(m, compose, declared, notes) for m in svc_volumes]
            svc["volumes"] = [m for m in svc["volumes"] if m is not None]
            if not svc["volumes"]:
                del svc["volumes"]
    if not compose.get("volumes"):
        compose.pop("volumes", None)
    if renames:
        compose["services"] = rename_hosts(services, renames)
        notes.append(
            "dropped: container_name (other services reach "
            + ", ".join(f"{old} as {new}" for old, new in sorted(renames.items()))
            + ")"
        )
    if any("${TZ}" in str(s) for s in services.values()):
        declared.add({"name": "TZ", "default": "Etc/UTC", "description": "time zone"})
    if min_memory:
        notes.append(f"memory: the reservations ({min_memory} MB) are the minimum memory")
    return compose, declared, min_memory


def _address(text: str, notes: list[str]) -> str:
    new, n = ADDRESS_PLACEHOLDER.subn("${PROXIMITY_ADDRESS}", text)
    if n and "address: the store's IP placeholder became the CT's address" not in notes:
        notes.append("address: the store's IP placeholder became the CT's address")
    return new


def _take_reservation(svc: dict[str, Any]) -> int:
    """Remove `deploy.resources.reservations.memory` (returned in MB); empty blocks go too."""
    deploy = svc.get("deploy")
    res = deploy.get("resources") if isinstance(deploy, dict) else None
    reservations = res.get("reservations") if isinstance(res, dict) else None
    if not isinstance(reservations, dict) or "memory" not in reservations:
        return 0
    mb = memory_mb(reservations.pop("memory")) or 0
    for parent, key in ((res, "reservations"), (deploy, "resources"), (svc, "deploy")):
        if isinstance(parent, dict) and not parent.get(key):
            parent.pop(key, None)
    return mb


def _mount(mount: Any, compose: dict[str, Any], declared: Declared, notes: list[str]) -> Any | None:
    """One service volume, its host path rewritten (None: dropped)."""
    if isinstance(mount, dict):
        src, target = str(mount.get("source") or ""), str(mount.get("target") or "")
        options = ":ro" if mount.get("read_only") else ""
    else:
        src, _, rest = str(mount).partition(":")
        target, _, opts = rest.partition(":")
        options = f":{opts}" if opts else ""
    if not src.startswith("/"):
        return mount  # a named volume or a relative path: as it is
    if src in TIME_FILES:
        notes.append(f"dropped: the {src} mount (the TZ variable sets the time zone)")
        return None
    named = compose.setdefault("volumes", {})
    if m := APPDATA.match(src):
        name = slug((m.group(1) or "data").replace("/", "-")) or "data"
        named.setdefault(name, None)
        notes.append(f"volume: {src} became the named volume {name}")
        return f"{name}:{target}{options}"
    if (m := DATA_DIR.match(src)) and target:
        base = slug(m.group(1) or "data") or "data"
        variable = dir_variable(base)
        named.setdefault(base, None)
        declared.add({
            "name": variable,
            "default": base,
            "description": f"a directory of the container to mount at {target} (default: the "
            f"named volume {base})",
        })  # fmt: skip
        notes.append(f"optional-mount: {src} became ${{{variable}}} (default: named volume {base})")
        sub = (m.group(2) or "").lstrip("/")
        if sub:
            notes.append(f"optional-mount: the subdirectory {sub} of {src} is not kept")
        return f"${{{variable}}}:{target}{options}"
    return mount  # another host path (docker.sock, /dev, /sys...): lint says what it means


def dir_variable(volume: str) -> str:
    """The variable choosing where an optional mount points (`media` -> `MEDIA_DIR`)."""
    return re.sub(r"[^A-Z0-9]", "_", volume.upper()) + "_DIR"


def _service_ports(data: dict[str, Any]) -> dict[str, list[int]]:
    """Container ports each service's `x-casaos.ports` lists (what host networking listens on)."""
    out: dict[str, list[int]] = {}
    for name, svc in (data.get("services") or {}).items():
        x = svc.get("x-casaos") if isinstance(svc, dict) else None
        for port in (x or {}).get("ports") or [] if isinstance(x, dict) else []:
            number = str(port.get("container", "")) if isinstance(port, dict) else ""
            if number.isdigit():
                out.setdefault(str(name), []).append(int(number))
    return out


def _en(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("en_US") or value.get("en_GB") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def _description(x: dict[str, Any], secrets: dict[str, str], notes: list[str]) -> str:
    parts = [
        clean_text(_en(x.get("tagline"))),
        clean_text(_en(x.get("description")), multiline=True),
    ]
    tips = x.get("tips")
    before = tips.get("before_install") if isinstance(tips, dict) else None
    text = _en(before) if isinstance(before, dict) else ""
    if isinstance(before, list):  # [{content, value}] in the spec
        text = "\n".join(
            f"{_en(i.get('content'))} {i.get('value') or ''}".strip()
            for i in before if isinstance(i, dict)
        )  # fmt: skip
    if text:
        removed = False
        for literal, name in secrets.items():
            if literal in text:
                text = text.replace(literal, f"(generated: {name})")
                removed = True
        if removed:
            notes.append("tips: default credentials removed (they are generated per deploy)")
        parts.append("Before installing: " + clean_text(text, multiline=True))
    return "\n\n".join(p for p in parts if p)


def _website(x: dict[str, Any]) -> str:
    for key in ("website", "repo"):
        value = clean_text(x.get(key))
        if value.startswith(("https://", "http://")):
            return value
    return ""


def _image_tag(svc: Any) -> str:
    image = str(svc.get("image", "")) if isinstance(svc, dict) else ""
    last = image.split("@")[0].rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else ""


def _volumes(compose: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    """Our volume list: every named volume, where it is mounted, and the store's description."""
    described: dict[str, str] = {}
    for svc in (data.get("services") or {}).values():
        x = svc.get("x-casaos") if isinstance(svc, dict) else None
        for v in (x.get("volumes") or []) if isinstance(x, dict) else []:
            if isinstance(v, dict) and v.get("container"):
                described.setdefault(str(v["container"]), clean_text(_en(v.get("description"))))
    out: list[dict[str, str]] = []
    for name in compose.get("volumes") or {}:
        path = ""
        for svc in compose["services"].values():
            for mount in svc.get("volumes") or []:
                src, _, rest = str(mount).partition(":") if isinstance(mount, str) else ("", "", "")
                if src in (name, f"${{{dir_variable(name)}}}") and not path:
                    path = rest.split(":")[0]
        out.append({"name": str(name), "path": path, "description": described.get(path, "")})
    return out


def _resources(min_memory: int) -> dict[str, int]:
    minimum = max(256, min_memory)
    return {"memory": max(512, minimum), "min_memory": minimum}


def _path(index: str) -> str:
    index = clean_text(index)
    return index if index.startswith("/") else "/" + index
