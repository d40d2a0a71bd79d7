"""Runtipi app stores: `config.json` plus a dynamic compose, either `docker-compose.json` (services
as a list; `environment` a mapping in schema 1, `[{key, value}]` in schema 2; `volumes` as
`{hostPath, containerPath, readOnly}`; `isMain`/`internalPort`, `addPorts`, `healthCheck`,
`dependsOn`) or the newer `docker-compose.yml` with `x-runtipi` blocks (`is_main`,
`internal_port`). Runtipi's store is GPL-3.0: it is read at run time from the user's checkout or
download, never copied here.

What changes on the way: `form_fields` of type `random` become generated secrets (length `min`,
`encoding` hex or base64, else letters and digits), `password` fields required values the user
gives, other fields prompted variables (default, required; regex and options in the description);
`${APP_DATA_DIR}/<p>` becomes the named volume `<p>`, `${RUNTIPI_MEDIA_DIR}` an optional mount;
`APP_PORT` is the store's port, `APP_DOMAIN`/`APP_HOST`/`INTERNAL_IP` the CT's address,
`APP_PROTOCOL` http. `convert_runtipi` is pure, like `casaos.convert_casaos`.
"""

from __future__ import annotations

import json
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
    rename_hosts,
    replace_literal_secrets,
    slug,
    substitute,
)
from proximity_tui.services.catalog.lint import lint_entry
from proximity_tui.services.catalog.model import CatalogEntry
from proximity_tui.services.catalog.ports import entry_ports
from proximity_tui.services.catalog.runtipi_json import json_compose
from proximity_tui.services.catalog.schema import (
    ID_PATTERN,
    MAX_FILE_BYTES,
    CatalogError,
    YamlLoader,
    entry_from_mapping,
    refuse_aliases,
)

DATA_DIR = re.compile(r"^\$\{?APP_DATA_DIR\}?(?:/(.*))?$")
MEDIA_DIR = re.compile(r"^\$\{?(?:RUNTIPI_MEDIA_DIR|ROOT_FOLDER_HOST)\}?(/.*)?$")
ENCODINGS = {"hex": "hex", "base64": "base64"}


def convert_runtipi(app: str, files: Mapping[str, bytes], *, source: str) -> CatalogEntry:
    config = _json(files, "config.json")
    if config is None:
        raise Skipped("no config.json")
    if not isinstance(config, dict):
        raise Skipped("config.json is not an object")
    archs = config.get("supported_architectures")
    if isinstance(archs, list) and archs and "amd64" not in archs:
        raise Skipped(f"no amd64 image (supported_architectures: {', '.join(map(str, archs))})")
    if config.get("available") is False:
        raise Skipped("marked unavailable in the store")
    entry_id = slug(str(config.get("id") or app))
    if not ID_PATTERN.match(entry_id):
        raise Skipped(f"{app!r} cannot be made a catalog id")
    notes: list[str] = []
    port = config.get("port") if isinstance(config.get("port"), int) else None
    compose, main, internal = _compose(files, notes)
    if port is not None and main in compose["services"] and internal:
        compose["services"][main].setdefault("ports", []).insert(0, f"{port}:{internal}")
    declared = Declared()
    _form_fields(config.get("form_fields"), declared, notes)
    values = {
        "APP_PORT": str(port or internal or ""),
        "APP_DOMAIN": "${PROXIMITY_ADDRESS}" + (f":{port}" if port else ""),
        "APP_HOST": "${PROXIMITY_ADDRESS}",
        "INTERNAL_IP": "${PROXIMITY_ADDRESS}",
        "APP_PROTOCOL": "http",
        "APP_ID": entry_id,
        "TZ": "${TZ}",
        "APP_LOCAL_DOMAIN": "${PROXIMITY_ADDRESS}",
        "LOCAL_DOMAIN": "${PROXIMITY_ADDRESS}",
        "NETWORK_INTERFACE": "0.0.0.0",  # noqa: S104 - every address of the CT, as Runtipi's default
        **dict.fromkeys(("TIPI_UID", "TIPI_GID", "PUID", "PGID", "UID", "GID"), "1000"),
    }
    compose["services"] = {
        name: _service(svc, values, compose, declared, notes)
        for name, svc in compose["services"].items()
    }
    if any("${TZ}" in str(s) for s in compose["services"].values()):
        declared.add({"name": "TZ", "default": "Etc/UTC", "description": "time zone"})
    if not compose.get("volumes"):
        compose.pop("volumes", None)
    secrets = replace_literal_secrets(compose, declared)
    declare_variables(compose, declared)
    notes.extend(declared.notes)
    web = None if config.get("no_gui") else port
    ports, web_port, note = entry_ports(compose, main, web, {main: [port] if port else []})
    if note and not config.get("no_gui"):
        notes.append(note)
    mapping: dict[str, Any] = {
        "id": entry_id,
        "name": clean_text(config.get("name")) or app,
        "description": _description(config, secrets),
        "category": _category(config),
        "tags": [slug(str(c)) for c in config.get("categories") or [] if slug(str(c))],
        "website": _website(config),
        "version": clean_text(config.get("version")) or "",
        "ports": ports,
        "env": declared.env,
        "volumes": [{"name": str(n)} for n in compose.get("volumes") or {}],
        "compose": compose,
    }
    if web_port is not None:
        mapping["health"] = {"port": web_port, "path": "/"}
    try:
        entry = entry_from_mapping(mapping, file=f"{app}/config.json", source=source)
    except CatalogError as exc:
        raise Skipped(f"{exc.field or 'entry'}: {exc.reason}") from None
    entry.warnings = lint_entry(entry)
    entry.notes = list(dict.fromkeys(notes))
    return entry


def _json(files: Mapping[str, bytes], name: str) -> Any:
    raw = files.get(name)
    if raw is None:
        return None
    if len(raw) > MAX_FILE_BYTES:
        raise Skipped(f"{name} larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Skipped(f"{name} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise Skipped(f"{name}: invalid JSON: line {exc.lineno}: {exc.msg}") from None


def _compose(files: Mapping[str, bytes], notes: list[str]) -> tuple[dict[str, Any], str, int]:
    """The compose project, its main service and that service's internal port."""
    data = _json(files, "docker-compose.json")
    if data is not None:
        return json_compose(data, notes)
    raw = files.get("docker-compose.yml") or files.get("docker-compose.yaml")
    if raw is None:
        raise Skipped("no docker-compose.json or docker-compose.yml")
    try:
        text = raw.decode("utf-8")
        refuse_aliases(text, "docker-compose.yml")
        doc = yaml.load(text, Loader=YamlLoader)  # noqa: S506 - a safe loader
    except (UnicodeDecodeError, yaml.YAMLError, CatalogError) as exc:
        raise Skipped(f"docker-compose.yml: {str(exc).splitlines()[0]}") from None
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("services"), dict)
        or not doc["services"]
    ):
        raise Skipped("docker-compose.yml has no services")
    main, internal = "", 0
    compose: dict[str, Any] = {k: v for k, v in doc.items() if not str(k).startswith("x-")}
    compose.pop("version", None)
    networks = compose.get("networks")
    if isinstance(networks, dict):  # Runtipi's own (external) network is not in the CT
        compose["networks"] = {
            n: v for n, v in networks.items() if not (isinstance(v, dict) and v.get("external"))
        }
        if not compose["networks"]:
            del compose["networks"]
    renames: dict[str, str] = {}
    for name, svc in compose["services"].items():
        if not isinstance(svc, dict) or not isinstance(svc.get("image"), str):
            raise Skipped(f"service {name} has no image")
        meta = svc.pop("x-runtipi", None) or {}
        if isinstance(meta, dict) and meta.get("is_main"):
            main = str(name)
            internal = (
                int(str(meta.get("internal_port") or 0))
                if str(meta.get("internal_port") or "").isdigit()
                else 0
            )
        cname = svc.pop("container_name", None)
        if isinstance(cname, str) and cname != name:
            renames[cname] = str(name)
        labels = svc.get("labels")
        if isinstance(labels, dict | list):  # Traefik routing and Runtipi's own labels
            kept = [x for x in labels if not str(x).startswith(("traefik.", "runtipi."))]
            if len(kept) != len(labels):
                notes.append(f"dropped: {name}'s Traefik and Runtipi labels")
                labels = {k: labels[k] for k in kept} if isinstance(labels, dict) else kept
                svc["labels"] = labels
            if not labels:
                del svc["labels"]
    if renames:
        compose["services"] = rename_hosts(compose["services"], renames)
    notes.append("dropped: x-runtipi blocks and container names")
    return compose, main or next(iter(compose["services"])), internal


def _service(
    svc: dict[str, Any],
    values: dict[str, str],
    compose: dict[str, Any],
    declared: Declared,
    notes: list[str],
) -> dict[str, Any]:
    mounts = []
    for mount in svc.get("volumes") or []:
        src, sep, rest = str(mount).partition(":") if isinstance(mount, str) else ("", "", "")
        if m := DATA_DIR.match(src):
            name = slug((m.group(1) or "data").replace("/", "-")) or "data"
            compose.setdefault("volumes", {})[name] = None
            notes.append(f"volume: {src} became the named volume {name}")
            mounts.append(f"{name}:{rest}")
        elif MEDIA_DIR.match(src):
            compose.setdefault("volumes", {})["media"] = None
            declared.add({
                "name": "MEDIA_DIR", "default": "media",
                "description": "a directory of the container for media (default: a named volume)",
            })  # fmt: skip
            notes.append(f"optional-mount: {src} became ${{MEDIA_DIR}} (default: volume media)")
            mounts.append(f"${{MEDIA_DIR}}:{rest}")
        else:
            mounts.append(mount)
    if mounts:
        svc["volumes"] = mounts
    declared_networks = set(compose.get("networks") or {})
    nets = svc.get("networks")
    if isinstance(nets, list | dict) and any(n not in declared_networks for n in nets):
        notes.append("dropped: Runtipi's shared network")
        if isinstance(nets, dict):
            svc["networks"] = {n: v for n, v in nets.items() if n in declared_networks}
        else:
            svc["networks"] = [n for n in nets if n in declared_networks]
        if not svc["networks"]:
            del svc["networks"]
    return map_strings(svc, lambda s: substitute(s, values))


def _form_fields(fields: Any, declared: Declared, notes: list[str]) -> None:
    for item in fields if isinstance(fields, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("env_variable"), str):
            continue
        name = item["env_variable"]
        label = clean_text(item.get("label") or item.get("hint") or "")
        kind = str(item.get("type") or "text")
        if kind == "random":
            minimum = item.get("min")
            length: int = minimum if isinstance(minimum, int) else 32
            generator = ENCODINGS.get(str(item.get("encoding")), "alnum")
            declared.add({
                "name": name, "secret": True, "description": label or "generated per deploy",
                "generator": generator, "secret_length": max(16, min(128, length)),
            })  # fmt: skip
            notes.append(f"secret-generated: {name} ({generator}, {length} characters)")
            continue
        hint = [label] if label else []
        if isinstance(item.get("options"), list):
            options = [str(o.get("value", "")) for o in item["options"] if isinstance(o, dict)]
            hint.append("one of: " + ", ".join(options))
        if isinstance(item.get("regex"), str):
            hint.append(f"must match {clean_text(item['regex'])}")
        spec: dict[str, Any] = {"name": name, "description": "; ".join(hint)}
        if kind == "password":
            spec["required"] = True
            notes.append(f"variable-declared: {name} is a password you give at deploy")
        else:
            if item.get("default") is not None and not isinstance(item["default"], dict):
                spec["default"] = clean_text(item["default"])
            spec["required"] = bool(item.get("required")) and "default" not in spec
        declared.add(spec)


def _description(config: dict[str, Any], secrets: dict[str, str]) -> str:
    parts = [
        clean_text(config.get("short_desc")),
        clean_text(config.get("description"), multiline=True),
    ]
    text = "\n\n".join(p for p in parts if p)
    for literal, name in secrets.items():
        text = text.replace(literal, f"(generated: {name})")
    return text


def _category(config: dict[str, Any]) -> str:
    cats = config.get("categories")
    first = cats[0] if isinstance(cats, list) and cats else "other"
    return clean_text(first).replace("-", " ").capitalize() or "Other"


def _website(config: dict[str, Any]) -> str:
    for key in ("website", "source"):
        value = clean_text(config.get(key))
        if value.startswith(("https://", "http://")):
            return value
    return ""
