"""Malformed catalog files are refused with a message naming the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from proximity_tui.errors import ValidationError
from proximity_tui.services.catalog.schema import CatalogError, entry_from_mapping, load_entry_file


def write(tmp_path: Path, data: Any, name: str = "redis.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_valid_mapping_loads_with_derived_parts(tmp_path, valid):
    entry = load_entry_file(write(tmp_path, valid), source="user")
    assert entry.id == "redis" and entry.source == "user"
    assert entry.path == tmp_path / "redis.yaml"
    assert [(v.name, v.path) for v in entry.volumes] == [("data", "/data")]
    assert entry.health is not None and (entry.health.port, entry.health.path) == (6379, None)
    assert entry.resources.min_memory <= entry.resources.memory == 256
    assert entry.web_port() is None


def test_invalid_yaml_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "id: redis\nname: [unclosed\ncategory: x\n")
    with pytest.raises(CatalogError) as err:
        load_entry_file(path)
    assert str(err.value).startswith("redis.yaml: invalid YAML: line ")
    assert isinstance(err.value, ValidationError)


def test_not_a_mapping_and_not_utf8(tmp_path):
    with pytest.raises(CatalogError, match=r"^redis.yaml: must be a mapping of fields, got a list"):
        load_entry_file(write(tmp_path, "- a\n- b\n"))
    bad = tmp_path / "bin.yaml"
    bad.write_bytes(b"id: \xff\xfe\n")
    with pytest.raises(CatalogError, match=r"^bin.yaml: not UTF-8 text"):
        load_entry_file(bad)


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        data = data[int(key)] if isinstance(data, list) else data[key]
    last = keys[-1]
    if value is _DELETE:
        del data[last]
    elif isinstance(data, list):
        data[int(last)] = value
    else:
        data[last] = value


_DELETE = object()

CASES = [
    ("ports.0.number", "6379", "ports[0].number: must be an integer 1-65535"),
    ("ports.0.number", 70000, "ports[0].number: must be an integer 1-65535"),
    ("ports.0.number", True, "ports[0].number: must be an integer 1-65535"),
    ("ports.0.protocol", "sctp", "ports[0].protocol: must be tcp or udp"),
    ("ports.0.web", "yes", "ports[0].web: must be true or false"),
    ("ports.0.colour", "red", "ports[0].colour: unknown field"),
    ("ports", "6379", "ports: must be a list, got a string"),
    ("version", 7.4, "version: must be a string, got float 7.4 (quote it)"),
    ("name", _DELETE, "name: required"),
    ("id", "Redis Server", "id: 'Redis Server': use lower-case letters"),
    ("website", "redis.io", "website: must start with https:// or http://"),
    ("tags", ["db", 3], "tags[1]: must be a string, got int 3"),
    ("colour", "red", "colour: unknown field"),
    ("compose", _DELETE, "compose: required"),
    ("compose.services", {}, "compose.services: must be a mapping of at least one service"),
    ("compose.services.redis.image", _DELETE, "compose.services.redis.image: required"),
    ("env.0.name", "1BAD", "env[0].name: '1BAD' is not a variable name"),
    ("env.0.name", "PROXIMITY_ADDRESS", "env[0].name: PROXIMITY_ADDRESS is set by the deploy"),
    ("env.0.default", "x", "env[0].default: a secret has no default: it is generated"),
    ("env.0.generator", "uuid", "env[0].generator: must be one of urlsafe, hex, alnum, base64"),
    ("env.0.secret_length", 8, "env[0].secret_length: must be an integer 16-128"),
    ("resources.memory", "1G", "resources.memory: must be a positive integer (MB)"),
    ("resources.min_disk", 9, "resources.min_disk: must not exceed disk"),
    ("template", "alpine.iso", "template: must be a template file name"),
    ("health", {"port": 80}, "health.port: 80 is not one of the tcp ports"),
    ("health", {"path": "/x"}, "health: needs a port or a compose healthcheck"),
    ("health", {"port": 6379, "path": "x"}, "health.path: must be an HTTP path starting with /"),
    ("health", {"compose": True}, "health.compose: no service has a compose healthcheck"),
    ("source", "elsewhere", "source: must be one of bundled, user, imported"),
]


@pytest.mark.parametrize(("field", "value", "message"), CASES, ids=[c[2] for c in CASES])
def test_wrong_field_gives_precise_error(tmp_path, valid, field, value, message):
    _set(valid, field, value)
    with pytest.raises(CatalogError) as err:
        load_entry_file(write(tmp_path, valid))
    assert str(err.value).startswith(f"redis.yaml: {message}")
    assert err.value.file == "redis.yaml"


def test_default_must_be_a_string_with_a_hint(valid):
    valid["env"].append({"name": "WORKERS", "default": 4})
    with pytest.raises(
        CatalogError, match=r"env\[1\]\.default: must be a string \(quote it: '4'\)"
    ):
        entry_from_mapping(valid, file="redis.yaml")


def test_two_web_ports_and_duplicate_ports_and_env(valid):
    valid["ports"] = [{"number": 80, "web": True}, {"number": 81, "web": True}]
    with pytest.raises(CatalogError, match="at most one port is the web UI"):
        entry_from_mapping(valid, file="x.yaml")
    valid["ports"] = [{"number": 80}, {"number": 80}]
    with pytest.raises(CatalogError, match=r"ports\[1\]\.number: 80/tcp listed twice"):
        entry_from_mapping(valid, file="x.yaml")
    valid["ports"] = [{"number": 53}, {"number": 53, "protocol": "udp"}]
    assert len(entry_from_mapping(valid, file="x.yaml").ports) == 2
    valid["env"].append({"name": "REDIS_PASSWORD"})
    with pytest.raises(CatalogError, match=r"env\[1\]\.name: REDIS_PASSWORD declared twice"):
        entry_from_mapping(valid, file="x.yaml")


def test_round_trip_through_to_dict(valid):
    entry = entry_from_mapping(valid, file="redis.yaml")
    again = entry_from_mapping(yaml.safe_load(entry.to_yaml()), file="redis.yaml")
    assert again == entry
