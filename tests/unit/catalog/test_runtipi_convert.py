"""The Runtipi converter on a made-up store in Runtipi's format (tests/fixtures/runtipi-store:
JSON dynamic compose schema 1 and 2, and docker-compose.yml with x-runtipi)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proximity_tui.errors import ValidationError
from proximity_tui.services.catalog.compose_check import compose_problems
from proximity_tui.services.catalog.runtipi import convert_runtipi
from proximity_tui.services.catalog.schema import entry_from_mapping
from proximity_tui.services.catalog.sources import SourceRegistry
from proximity_tui.services.catalog.store_formats import detect_format
from proximity_tui.services.catalog.stores import convert_store, read_app_files

STORE = Path(__file__).resolve().parents[2] / "fixtures" / "runtipi-store"


@pytest.fixture(scope="module")
def result():
    return convert_store(STORE, "runtipi", source="tipi")


def test_every_app_converts_or_is_skipped_with_its_reason(result):
    apps = sorted(d.name for d in (STORE / "apps").iterdir() if d.is_dir())
    assert len(result.entries) + len(result.skipped) == len(apps)
    assert {e.id for e in result.entries} == {"jotter", "pinboard", "legacy", "oldstyle"}
    reasons = {s.app: s.reason for s in result.skipped}
    assert reasons["armonly"] == "no amd64 image (supported_architectures: arm64)"
    assert reasons["broken"].startswith("config.json: invalid JSON: line 1")
    for entry in result.entries:
        assert compose_problems(entry.compose) == [], entry.id
        again = entry_from_mapping(entry.to_dict(), file=entry.id, source="tipi")
        assert again.compose == entry.compose and again.env == entry.env


def by_id(result, entry_id):
    return next(e for e in result.entries if e.id == entry_id)


def test_form_fields(result):
    jotter = by_id(result, "jotter")
    env = {v.name: v for v in jotter.env}
    db, session = env["JOTTER_DB_PASSWORD"], env["JOTTER_SESSION_KEY"]
    assert (db.secret, db.generator, db.secret_length) == (True, "alnum", 40)
    assert (session.secret, session.generator, session.secret_length) == (True, "hex", 64)
    admin = env["JOTTER_ADMIN_PASSWORD"]
    assert admin.required and not admin.secret and admin.default is None
    assert env["JOTTER_ADMIN_USER"].default == "admin"
    assert "^[a-z]+$" in env["JOTTER_ADMIN_USER"].description
    assert env["JOTTER_THEME"].required and "one of: light, dark" in env["JOTTER_THEME"].description
    with pytest.raises(ValidationError, match="JOTTER_ADMIN_PASSWORD is required"):
        jotter.render_environment({"PROXIMITY_ADDRESS": "10.0.0.9", "JOTTER_THEME": "dark"})
    given = {"JOTTER_THEME": "dark", "JOTTER_ADMIN_PASSWORD": "pw12345678"}
    values = jotter.render_environment({"PROXIMITY_ADDRESS": "10.0.0.9", **given})
    assert len(values["JOTTER_DB_PASSWORD"]) == 40 and values["JOTTER_DB_PASSWORD"].isalnum()
    assert len(values["JOTTER_SESSION_KEY"]) == 64
    int(values["JOTTER_SESSION_KEY"], 16)


def test_json_compose_translated(result):
    jotter = by_id(result, "jotter")
    app = jotter.compose["services"]["jotter"]
    assert app["ports"] == ["8411:3000", "8412:3001/udp"]
    assert app["volumes"] == ["data-uploads:/app/uploads", "${MEDIA_DIR}:/media:ro"]
    assert app["environment"]["PUBLIC_URL"] == "http://${PROXIMITY_ADDRESS}:8411"
    assert app["depends_on"] == {"jotter-db": {"condition": "service_healthy"}}
    db = jotter.compose["services"]["jotter-db"]
    assert db["healthcheck"]["start_period"] == "20s"
    assert jotter.web_port().number == 8411 and jotter.health.compose
    assert jotter.runtime_variables() == ["PROXIMITY_ADDRESS"]
    legacy = by_id(result, "legacy")  # schema 1: environment as a mapping
    assert legacy.compose["services"]["legacy"]["environment"] == {
        "MODE": "production",
        "DATA": "/data",
    }
    assert "dropped: unknown dynamic-compose keys gpuSupport" in legacy.notes


def test_yaml_with_x_runtipi(result):
    pinboard = by_id(result, "pinboard")
    app = pinboard.compose["services"]["pinboard"]
    assert "x-runtipi" not in json.dumps(pinboard.compose)
    assert "networks" not in app  # Runtipi's shared network does not exist here
    assert app["ports"] == ["8420:8080"]
    assert "BASE_URL=http://${PROXIMITY_ADDRESS}:8420" in app["environment"]
    # A literal password in the compose file: one generated secret, everywhere it appears.
    assert "pinboard-cache-pw" not in json.dumps(pinboard.compose)
    assert pinboard.compose["services"]["cache"]["command"].endswith("${CACHE_PASSWORD}")
    env = {v.name: v for v in pinboard.env}
    assert env["PINBOARD_SECRET"].generator == "base64" and env["CACHE_PASSWORD"].secret


def test_a_plain_compose_file_of_the_older_kind(result):
    """No x-runtipi: Runtipi's external network, Traefik labels and container names go; the
    store's port is published; ROOT_FOLDER_HOST media becomes the optional mount."""
    old = by_id(result, "oldstyle")
    app = old.compose["services"]["oldstyle"]
    assert "networks" not in old.compose and "networks" not in app and "labels" not in app
    assert app["ports"] == ["8460:80"] and "container_name" not in json.dumps(old.compose)
    assert app["volumes"] == ["data-config:/config", "${MEDIA_DIR}:/books"]
    assert old.notes.count("dropped: Runtipi's shared network") == 1
    assert old.web_port().number == 8460


def test_odd_folders(tmp_path):
    with pytest.raises(Exception, match="no config.json"):
        convert_runtipi("x", {}, source="t")
    with pytest.raises(Exception, match="no docker-compose.json or docker-compose.yml"):
        convert_runtipi("x", {"config.json": b'{"name": "X", "port": 80}'}, source="t")
    files = read_app_files(STORE / "apps" / "jotter")
    entry = convert_runtipi("jotter", files, source="t")
    assert entry.source == "t" and entry.ref == "t/jotter"


def test_a_runtipi_checkout_syncs_as_a_source(tmp_path):
    assert detect_format(STORE) == "runtipi"
    registry = SourceRegistry(tmp_path / "sources")
    registry.add("tipi", str(STORE))
    report = registry.sync("tipi")
    source = report.source
    assert (source.format, source.converted, source.skipped) == ("runtipi", 4, 2)
