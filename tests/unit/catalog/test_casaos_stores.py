"""Every app of the real CasaOS and Big Bear stores (../shared/reference/app-stores) converts or is
skipped with a reason, and what converts passes our schema, the compose structure check and the
rules of the conversion. Expected figures are computed here from the stores' own files, with code
independent of the converter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from proximity_tui.services.catalog.compose_check import compose_problems
from proximity_tui.services.catalog.lint import is_secret_key
from proximity_tui.services.catalog.schema import entry_from_mapping
from proximity_tui.services.catalog.stores import StoreResult, convert_store

STORES = ["casaos-appstore", "big-bear-casaos"]
_cache: dict[str, tuple[StoreResult, dict[str, Any]]] = {}


@pytest.fixture(params=STORES)
def store(request, reference) -> tuple[str, StoreResult, dict[str, Any]]:
    name = request.param
    root = reference(f"app-stores/{name}")
    if name not in _cache:
        originals = {
            d.name: yaml.safe_load((d / "docker-compose.yml").read_text(encoding="utf-8"))
            for d in (root / "Apps").iterdir()
            if (d / "docker-compose.yml").is_file()
        }
        _cache[name] = (convert_store(root, "casaos", source=name), originals)
    return name, *_cache[name]


def _app_dirs(root: Path) -> list[str]:
    return [d.name for d in (root / "Apps").iterdir() if d.is_dir()]


def test_every_app_converts_or_is_skipped_with_a_reason(store, reference):
    name, result, originals = store
    apps = _app_dirs(reference(f"app-stores/{name}"))
    assert len(result.entries) + len(result.skipped) == len(apps)
    assert all(s.reason.strip() for s in result.skipped)
    # Skipped: exactly the apps whose x-casaos.architectures leaves out amd64 (none has no compose).
    no_amd64 = {
        app for app, data in originals.items()
        if "amd64" not in (data.get("x-casaos") or {}).get("architectures", ["amd64"])
    }  # fmt: skip
    assert {s.app for s in result.skipped} == no_amd64
    assert all(s.reason.startswith("no amd64 image") for s in result.skipped)
    assert len({e.id for e in result.entries}) == len(apps) - len(no_amd64)


def test_converted_entries_pass_the_schema_and_the_compose_structure(store):
    name, result, _ = store
    for entry in result.entries:
        again = entry_from_mapping(entry.to_dict(), file=entry.id, source=name)
        assert again.compose == entry.compose and again.notes == entry.notes
        assert compose_problems(entry.compose) == [], entry.id
        assert entry.source == name


def test_store_specifics_are_gone(store):
    _, result, _ = store
    for entry in result.entries:
        text = yaml.safe_dump(entry.compose)
        assert "x-casaos" not in text and "container_name" not in text, entry.id
        mounts = [m for s in entry.compose["services"].values() for m in s.get("volumes") or []]
        assert not any(str(m).startswith("/DATA") for m in mounts), entry.id
        assert not re.search(r"\$\{?(PUID|PGID|AppID)\b", text), entry.id


def test_literal_passwords_become_secrets(store):
    """A secret-looking key holding a fixed value in the store holds a `${VARIABLE}` now, that
    variable is a generated secret, and the same literal is nowhere left in the environments."""
    _, result, originals = store
    checked = 0
    for entry in result.entries:
        original = originals[_folder(entry, originals)]
        secrets = {v.name for v in entry.env if v.secret}
        placeholders = {v.name for v in entry.env if v.required and not v.secret}
        for svc_name, svc in original["services"].items():
            for key, value in _env(svc):
                value = value.strip().strip("\"'")
                if not is_secret_key(key) or not value or "$" in value or value.isdigit():
                    continue
                if value.lower() in {"true", "false", "yes", "no", "none", "null", "on", "off"}:
                    continue
                new = dict(_env(entry.compose["services"][svc_name]))[key]
                names = re.findall(r"\$\{([A-Za-z_0-9]+)\}", new)
                assert names and set(names) <= secrets | placeholders, (entry.id, key)
                env = _env(entry.compose["services"][svc_name])
                left = [k for k, v in env if is_secret_key(k) and value in _no_vars(v)]
                assert left == [], (entry.id, key, left)
                checked += 1
    assert checked > 0


def test_volumes_memory_and_risks_follow_the_store(store):
    name, result, originals = store
    appdata = memory = risky = 0
    for entry in result.entries:
        original = originals[_folder(entry, originals)]
        mounts = [m for s in original["services"].values() for m in s.get("volumes") or []]
        sources = [str(m.get("source") if isinstance(m, dict) else m.split(":")[0]) for m in mounts]
        n = len({s for s in sources if s.startswith("/DATA/AppData/")})
        assert sum(x.startswith("volume: ") for x in entry.notes) == n, entry.id
        appdata += n
        reserved = [
            s["deploy"]["resources"]["reservations"]["memory"]
            for s in original["services"].values()
            if "memory"
            in (((s.get("deploy") or {}).get("resources") or {}).get("reservations") or {})
        ]
        if reserved:
            mb = sum(_mb(v) for v in reserved)
            assert entry.resources.min_memory == max(256, mb), entry.id
            memory += 1
        privileged = any(s.get("privileged") is True for s in original["services"].values())
        assert privileged == any(w.startswith("privileged:") for w in entry.warnings), entry.id
        sock = any(s.endswith("docker.sock") for s in sources)
        assert sock == any(w.startswith("docker-socket:") for w in entry.warnings), entry.id
        risky += privileged
    assert appdata > 0 and memory > 0
    counts = result.warning_counts()
    assert counts.get("privileged", 0) == risky


def _no_vars(text: str) -> str:
    return re.sub(r"\$\{[^}]*\}", "", text)


def _folder(entry, originals: dict[str, Any]) -> str:
    return next(app for app in originals if app.lower() == entry.id)


def _env(svc: dict[str, Any]) -> list[tuple[str, str]]:
    env = svc.get("environment")
    if isinstance(env, dict):
        return [(str(k), "" if v is None else str(v)) for k, v in env.items()]
    return [(str(i).partition("=")[0], str(i).partition("=")[2]) for i in env or []]


def _mb(value: Any) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([MG])", str(value).strip().upper())
    assert m, value
    return int(float(m.group(1)) * (1024 if m.group(2) == "G" else 1))
