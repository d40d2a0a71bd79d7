"""Every bundled catalog file validates and meets the bar for apps we ship."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from proximity_tui.services.catalog.lint import (
    DEFECTS,
    image_is_pinned,
    lint_entry,
    published_ports,
)
from proximity_tui.services.catalog.model import DEFAULT_TEMPLATE, RUNTIME_VARIABLES
from proximity_tui.services.catalog.schema import load_entry_file
from proximity_tui.services.catalog.service import BUNDLED_DIR, CatalogService

FILES = sorted(BUNDLED_DIR.glob("*.yaml"))
#: Values that must never sit in a compose file as a literal.
KNOWN_DEFAULTS = {"changeme", "password", "admin", "admin123", "secret", "changeme123"}
CREDENTIAL_KEY = re.compile(r"(PASS|PASSWD|PASSWORD|SECRET|TOKEN|_KEY)$|_KEY_|PASSWORD_", re.I)


@pytest.fixture(scope="module")
def catalog() -> CatalogService:
    return CatalogService.load()


def test_at_least_forty_apps_across_categories(catalog):
    assert len(FILES) >= 40
    assert len(catalog) == len(FILES)
    assert len(catalog.categories()) >= 10
    assert sum(catalog.categories().values()) == len(catalog)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_validates_and_passes_lint(path: Path):
    entry = load_entry_file(path)
    assert entry.id == path.stem, "file name and id must agree"
    assert entry.source == "bundled" and entry.path == path
    assert entry.description and entry.tags and entry.website.startswith("https://")
    assert entry.template == DEFAULT_TEMPLATE
    defects = [w for w in lint_entry(entry) if w.split(":")[0] in DEFECTS]
    assert defects == []
    assert entry.health is not None and (entry.health.port or entry.health.compose)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_compose_content(path: Path):
    """Checks written independently of the lint: a second opinion on the same rules."""
    entry = load_entry_file(path)
    declared = {v.name for v in entry.env}
    used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}", yaml.safe_dump(entry.compose)))
    assert used <= declared | set(RUNTIME_VARIABLES), "every ${VAR} is declared in env"
    assert {v.name for v in entry.env if v.secret} <= used, "every secret is used by the compose"
    assert all(v.default is None for v in entry.env if v.secret)

    services = entry.compose["services"]
    host_net = [n for n, s in services.items() if s.get("network_mode") == "host"]
    for name, svc in services.items():
        assert image_is_pinned(svc["image"]), f"{name}: {svc['image']}"
        assert not svc["image"].endswith(":latest")
        assert all("$" not in str(p) for p in svc.get("ports", [])), "ports stay literal"
        env = svc.get("environment") or {}
        assert isinstance(env, dict), "environment as a mapping"
        for key, value in env.items():
            text = str(value)
            if CREDENTIAL_KEY.search(key) and text.lower() not in {"true", "false", "0", "1"}:
                assert text.startswith("${"), f"{name}: {key} must come from a variable"
            if CREDENTIAL_KEY.search(key):
                assert text.lower() not in KNOWN_DEFAULTS, f"{name}: {key} is a default password"
            assert not re.search(r"://[^/:@\s]+:[^$@\s][^@\s]*@", text), f"{name}: {key}"
    if host_net:
        # Host networking only where no service is reached by name (so: a single service).
        assert len(services) == 1
    web = entry.web_port()
    if web is not None and not host_net:
        assert web.number in published_ports(entry.compose)
    for port in entry.ports:
        if not host_net:
            assert port.number in published_ports(entry.compose), port


def test_secrets_generated_per_deploy_for_every_password(catalog):
    with_secrets = [e for e in catalog.entries if e.secret_names()]
    assert len(with_secrets) >= 20
    nextcloud = catalog.get("nextcloud")
    env = nextcloud.render_environment(
        {"PROXIMITY_ADDRESS": "10.0.0.5", "PROXIMITY_HOSTNAME": "nc"}
    )
    again = nextcloud.render_environment(
        {"PROXIMITY_ADDRESS": "10.0.0.5", "PROXIMITY_HOSTNAME": "nc"}
    )
    for name in nextcloud.secret_names():
        assert len(env[name]) >= 16 and env[name] != again[name]
    # App and database share one generated password through ${DB_PASSWORD}.
    services = nextcloud.compose["services"]
    assert services["app"]["environment"]["MYSQL_PASSWORD"] == "${DB_PASSWORD}"
    assert services["db"]["environment"]["MARIADB_PASSWORD"] == "${DB_PASSWORD}"


def test_compose_yaml_round_trips(catalog):
    for entry in catalog.entries:
        assert yaml.safe_load(entry.compose_yaml()) == entry.compose
