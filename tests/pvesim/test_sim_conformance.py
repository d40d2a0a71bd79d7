"""The simulator's parameter rules and response fields against the official PVE API schema.

The schema (`../shared/reference/pve-api-schema.json.gz`, AGPL) is read here only, never shipped.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import pytest
from sim_helpers import create_ct, px_password, wait

from pvesim.api import ApiServer
from pvesim.params import FORMATS, LENIENT_FORMATS, Param
from pvesim.router import Router
from pvesim.specs import SPECS

assert ApiServer  # importing the API registers every handler
ROUTER = Router(SPECS)


def _example(template: str) -> str:
    return re.sub(r"\{\w+\}", "x", template)


#: Fields real PVE returns that its schema does not list (checked against the PVE sources).
UNDOCUMENTED_FIELDS = {
    ("POST", "/access/ticket"): {"cap"},  # the capability map the web UI reads
    ("GET", "/nodes/{node}/storage/{storage}/content"): {"content", "subtype"},
    ("GET", "/nodes/{node}/lxc/{vmid}/snapshot"): {"running"},  # on the `current` entry
}


@pytest.fixture(scope="module")
def schema(reference) -> dict[str, Any]:
    with gzip.open(reference("pve-api-schema.json.gz")) as fh:
        return json.load(fh)["paths"]


def _as_num(value: Any) -> float | None:
    return None if value is None else float(value)


def _compare(ours: Param, theirs: dict[str, Any], where: str) -> list[str]:
    problems = []
    if ours.type != theirs.get("type", "string"):
        problems.append(f"{where}: type {ours.type} != {theirs.get('type')}")
    if ours.optional != bool(theirs.get("optional")):
        problems.append(f"{where}: optional {ours.optional} != {bool(theirs.get('optional'))}")
    if tuple(theirs.get("enum", ())) != (ours.enum or ()):
        problems.append(f"{where}: enum {ours.enum} != {theirs.get('enum')}")
    for mine, key in ((ours.minimum, "minimum"), (ours.maximum, "maximum")):
        if _as_num(mine) != _as_num(theirs.get(key)):
            problems.append(f"{where}: {key} {mine} != {theirs.get(key)}")
    for mine, key in ((ours.max_length, "maxLength"), (ours.min_length, "minLength")):
        if mine != theirs.get(key):
            problems.append(f"{where}: {key} {mine} != {theirs.get(key)}")
    if ours.requires != theirs.get("requires"):
        problems.append(f"{where}: requires {ours.requires} != {theirs.get('requires')}")
    fmt = theirs.get("format")
    if isinstance(fmt, dict):
        if not isinstance(ours.format, dict) and not hasattr(ours.format, "items"):
            problems.append(f"{where}: format should be a property string")
        else:
            if set(ours.format) != set(fmt):
                problems.append(f"{where}: keys {sorted(ours.format)} != {sorted(fmt)}")
            for key in set(ours.format) & set(fmt):
                problems += _compare(ours.format[key], fmt[key], f"{where}.{key}")
            for key, sub in fmt.items():
                if sub.get("default_key") and not ours.format[key].default_key:
                    problems.append(f"{where}.{key}: should be the default key")
    elif fmt != (ours.format if isinstance(ours.format, str) else None):
        problems.append(f"{where}: format {ours.format!r} != {fmt!r}")
    return problems


def test_parameter_rules_agree_with_the_schema(schema):
    problems: list[str] = []
    for (method, path), spec in SPECS.items():
        entry = schema.get(path, {}).get(method)
        if entry is None:
            problems.append(f"{method} {path}: not in the schema")
            continue
        theirs = entry.get("parameters", {}).get("properties", {})
        if set(spec) != set(theirs):
            problems.append(
                f"{method} {path}: names differ: only ours {sorted(set(spec) - set(theirs))}, "
                f"only theirs {sorted(set(theirs) - set(spec))}"
            )
        for name in set(spec) & set(theirs):
            problems += _compare(spec[name], theirs[name], f"{method} {path} {name}")
        route = ROUTER.match(method, _example(path))
        assert route is not None, (method, path)
        if route.route.allowtoken != bool(entry.get("allowtoken", 1)):
            problems.append(f"{method} {path}: allowtoken differs")
    assert problems == []


def test_every_format_used_is_known():
    def formats(spec: dict[str, Param]):
        for p in spec.values():
            if isinstance(p.format, str):
                yield p.format
            elif p.format is not None:
                yield from formats(dict(p.format))

    for spec in SPECS.values():
        for name in formats(spec):
            base = re.sub(r"-(list|opt)$", "", name)
            assert base in FORMATS or base in LENIENT_FORMATS, name


def _keys_allowed(returns: dict[str, Any]) -> set[str] | None:
    """Field names the schema gives for an object (or the items of an array); None if open."""
    node = returns.get("items", {}) if returns.get("type") == "array" else returns
    props = node.get("properties")
    if not props or node.get("additionalProperties"):
        return None
    return set(props)


def _check_fields(schema, method: str, path: str, data: Any) -> list[str]:
    allowed = _keys_allowed(schema[path][method].get("returns", {}))
    if allowed is None or data is None:
        return []
    allowed |= UNDOCUMENTED_FIELDS.get((method, path), set())
    items = data if isinstance(data, list) else [data]
    problems = []
    for item in items:
        for key in item:
            canonical = re.sub(r"^(net|mp|unused|dev)\d+$", r"\1[n]", key)
            if canonical not in allowed:
                problems.append(f"{method} {path}: field {key!r} not in the schema")
    return problems


def test_response_fields_are_named_by_the_schema(schema, sim, px, info, http):
    assert create_ct(px, "pve1", 500, start=1, tags="a")["exitstatus"] == "OK"
    wait(px, "pve1", px.nodes("pve1").lxc(500).snapshot.post(snapname="s1"))
    upid = px.nodes("pve1").vzdump.post(vmid="500", storage="local")
    wait(px, "pve1", upid)
    ticket = http.post(
        info.api_url + "/api2/json/access/ticket",
        data={"username": info.user, "password": info.password},
    ).json()["data"]
    calls = [
        ("POST", "/access/ticket", ticket),
        ("GET", "/version", px.version.get()),
        ("GET", "/nodes", px.nodes.get()),
        ("GET", "/nodes/{node}/status", px.nodes("pve1").status.get()),
        ("GET", "/cluster/resources", px.cluster.resources.get()),
        ("GET", "/nodes/{node}/storage", px.nodes("pve1").storage.get()),
        (
            "GET",
            "/nodes/{node}/storage/{storage}/content",
            px.nodes("pve1").storage("local").content.get()
            + px.nodes("pve1").storage("local-lvm").content.get(),
        ),
        ("GET", "/nodes/{node}/lxc", px.nodes("pve1").lxc.get()),
        ("GET", "/nodes/{node}/lxc/{vmid}/config", px.nodes("pve1").lxc(500).config.get()),
        (
            "GET",
            "/nodes/{node}/lxc/{vmid}/status/current",
            px.nodes("pve1").lxc(500).status.current.get(),
        ),
        ("GET", "/nodes/{node}/lxc/{vmid}/interfaces", px.nodes("pve1").lxc(500).interfaces.get()),
        ("GET", "/nodes/{node}/lxc/{vmid}/snapshot", px.nodes("pve1").lxc(500).snapshot.get()),
        ("GET", "/nodes/{node}/lxc/{vmid}/status", px.nodes("pve1").lxc(500).status.get()),
        ("GET", "/nodes/{node}/tasks", px.nodes("pve1").tasks.get()),
        ("GET", "/nodes/{node}/tasks/{upid}/status", px.nodes("pve1").tasks(upid).status.get()),
        ("GET", "/nodes/{node}/tasks/{upid}/log", px.nodes("pve1").tasks(upid).log.get()),
        ("GET", "/nodes/{node}/lxc/{vmid}", px.nodes("pve1").lxc(500).get()),
    ]
    problems: list[str] = []
    for method, path, data in calls:
        problems += _check_fields(schema, method, path, data)
    assert problems == []
    assert px_password(info).version.get()["version"] == "9.1.1"
