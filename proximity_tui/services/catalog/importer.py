"""Reading the original Proximity (v1) catalog: one JSON file per app.

The v1 recipes are kept as they are (a user who brings them wants them), but every defect we can
detect becomes a warning on the entry: host networking with service-name references, hard-coded
passwords, no ports, `latest` images, two ids for one app. An odd file never raises: it is skipped
with its name and the reason.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proximity_tui.services.catalog.lint import lint_entry, published_ports
from proximity_tui.services.catalog.model import ENV_NAME, CatalogEntry
from proximity_tui.services.catalog.schema import ID_PATTERN, CatalogError, entry_from_mapping

#: Ports that are not a web UI even when listed first (SSH, DNS, mail, MQTT, databases...).
NOT_WEB = {
    21, 22, 25, 53, 110, 143, 389, 465, 587, 636, 993, 995, 1883, 1900, 3306, 3478, 5432,
    5672, 6379, 6881, 8883, 11211, 27017, 50000, 51413,
}  # fmt: skip
V1_KEYS = {
    "id", "name", "description", "version", "icon", "category", "docker_compose", "ports",
    "volumes", "environment", "min_memory", "min_cpu", "min_disk", "tags", "author", "website",
}  # fmt: skip


@dataclass(frozen=True)
class ImportProblem:
    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass
class ImportResult:
    entries: list[CatalogEntry] = field(default_factory=list)
    skipped: list[ImportProblem] = field(default_factory=list)

    def warning_counts(self) -> dict[str, int]:
        """Warning code -> number of entries carrying it."""
        counts: dict[str, int] = defaultdict(int)
        for entry in self.entries:
            for code in {w.split(":", 1)[0] for w in entry.warnings}:
                counts[code] += 1
        return dict(sorted(counts.items()))


def import_v1_dir(directory: Path) -> ImportResult:
    """Import every `*.json` app file of a v1 catalog directory (`index.json` is its index)."""
    result = ImportResult()
    if not directory.is_dir():
        result.skipped.append(ImportProblem(str(directory), "not a directory"))
        return result
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            result.skipped.append(ImportProblem(path.name, "not UTF-8 text"))
            continue
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            result.skipped.append(ImportProblem(path.name, f"invalid JSON: {where}: {exc.msg}"))
            continue
        except OSError as exc:
            result.skipped.append(ImportProblem(path.name, f"cannot read: {exc.strerror}"))
            continue
        if path.name == "index.json" and isinstance(data, dict) and "apps" in data:
            continue  # the catalog's table of contents, not an app
        try:
            result.entries.append(convert_v1(data, file=path.name))
        except CatalogError as exc:
            result.skipped.append(ImportProblem(path.name, f"{exc.field or 'file'}: {exc.reason}"))
        except Exception as exc:  # an odd file must never stop the import
            result.skipped.append(ImportProblem(path.name, f"unreadable ({type(exc).__name__})"))
    _flag_duplicates(result.entries)
    return result


def convert_v1(data: Any, *, file: str) -> CatalogEntry:
    """One v1 app (parsed JSON) as an imported entry with its warnings."""
    if not isinstance(data, dict):
        raise CatalogError(file, None, "must be a JSON object")
    notes: list[str] = []
    raw_id = data.get("id", Path(file).stem)
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise CatalogError(file, "id", "must be a non-empty string")
    entry_id = re.sub(r"[^a-z0-9._-]+", "-", raw_id.strip().lower()).strip("-._")
    if not ID_PATTERN.match(entry_id):
        raise CatalogError(file, "id", f"{raw_id!r} cannot be made a catalog id")
    if entry_id != raw_id:
        notes.append(f"id-normalised: {raw_id!r} became {entry_id!r}")

    compose = data.get("docker_compose")
    if not isinstance(compose, dict):
        raise CatalogError(file, "docker_compose", "must be an object (the compose project)")
    compose = {k: v for k, v in compose.items() if k != "version"}  # obsolete in compose v2
    services = compose.get("services")
    if not isinstance(services, dict) or not services:
        raise CatalogError(file, "docker_compose.services", "no services")

    ports = _ports(data.get("ports"), compose, notes)
    env = []
    raw_env = data.get("environment")
    for name, value in raw_env.items() if isinstance(raw_env, dict) else ():
        if ENV_NAME.match(str(name)) and isinstance(value, str | int | float | bool):
            env.append({"name": str(name), "default": str(value)})
        else:
            notes.append(f"bad-field: environment {name!r} dropped")

    mapping: dict[str, Any] = {
        "id": entry_id,
        "name": _text(data, "name", notes) or entry_id,
        "description": _text(data, "description", notes),
        "category": _text(data, "category", notes) or "Other",
        "tags": [str(t) for t in data.get("tags") or [] if isinstance(t, str | int)],
        "website": _website(data, notes),
        "version": _text(data, "version", notes),
        "ports": ports,
        "env": env,
        "volumes": [v for v in data.get("volumes") or [] if isinstance(v, str) and v],
        "resources": _resources(data, notes),
        "source": "imported",
        "compose": compose,
    }
    web = next((p for p in ports if p.get("web")), None)
    if web is not None:
        mapping["health"] = {"port": web["number"], "path": "/"}
    entry = entry_from_mapping(mapping, file=file, source="imported")
    if entry.version.lower() == "latest":
        notes.append("latest-version: the recipe says version 'latest' (no release pinned)")
    unknown = sorted(set(map(str, data)) - V1_KEYS)
    if unknown:
        notes.append(f"bad-field: unknown fields ignored: {', '.join(unknown)}")
    entry.warnings = lint_entry(entry) + notes
    return entry


def _ports(value: Any, compose: dict[str, Any], notes: list[str]) -> list[dict[str, Any]]:
    numbers: list[tuple[int, str]] = []
    for item in value if isinstance(value, list) else []:
        text = str(item).strip()
        number, _, proto = text.partition("/")
        if number.isdigit() and 1 <= int(number) <= 65535 and proto in ("", "tcp", "udp"):
            if (int(number), proto or "tcp") not in numbers:
                numbers.append((int(number), proto or "tcp"))
        else:
            notes.append(f"bad-field: port {item!r} dropped")
    if not numbers:
        found = sorted(published_ports(compose))
        numbers = [(n, "tcp") for n in found]
        hint = (
            f"taken from the compose mappings: {', '.join(map(str, found))}"
            if found
            else ("nothing is known about where the app listens")
        )
        notes.append(f"no-ports: the recipe lists no ports; {hint}")
    out: list[dict[str, Any]] = [{"number": n, "protocol": p} for n, p in numbers]
    web = next((p for p in out if p["protocol"] == "tcp" and p["number"] not in NOT_WEB), None)
    if web is not None:
        web.update(web=True, purpose="web UI (guessed: the first web-like port)")
    return out


def _resources(data: dict[str, Any], notes: list[str]) -> dict[str, int]:
    mins = {"min_cores": 1, "min_memory": 256, "min_disk": 2}
    for key, ours in (
        ("min_cpu", "min_cores"),
        ("min_memory", "min_memory"),
        ("min_disk", "min_disk"),
    ):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            notes.append(f"bad-field: {key} {value!r} is not a positive integer; default used")
        else:
            mins[ours] = value
    return {
        "cores": max(1, mins["min_cores"]),
        "memory": max(512, mins["min_memory"]),
        "disk": max(4, mins["min_disk"]),
        **mins,
    }


def _text(data: dict[str, Any], key: str, notes: list[str]) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    notes.append(f"bad-field: {key} is not text; ignored")
    return ""


def _website(data: dict[str, Any], notes: list[str]) -> str:
    site = _text(data, "website", notes)
    if site and not site.startswith(("https://", "http://")):
        notes.append(f"bad-field: website {site!r} is not an http(s) address; dropped")
        return ""
    return site


def _flag_duplicates(entries: list[CatalogEntry]) -> None:
    """Two ids for one app: the same name, or the same id once a domain suffix is dropped
    (`changedetection` and `changedetection.io`). Variants (`wordpress-nginx`) stay distinct."""
    groups: dict[str, list[CatalogEntry]] = defaultdict(list)
    for entry in entries:
        keys = {
            "name:" + re.sub(r"[^a-z0-9]", "", entry.name.lower()),
            "id:" + re.sub(r"[^a-z0-9]", "", re.sub(r"\.(io|com|org|net|app)$", "", entry.id)),
        }
        for key in keys:
            groups[key].append(entry)
    twins: dict[int, set[str]] = defaultdict(set)
    for group in groups.values():
        for entry in group if len(group) > 1 else ():
            twins[id(entry)].update(e.id for e in group if e is not entry)
    for entry in entries:
        if twins.get(id(entry)):
            names = ", ".join(repr(i) for i in sorted(twins[id(entry)]))
            entry.warnings.append(f"duplicate: the same app as {names}")
