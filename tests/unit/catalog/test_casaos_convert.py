"""The CasaOS converter's rules, one by one, on small compose files written here."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from proximity_tui.services.catalog.casaos import convert_casaos
from proximity_tui.services.catalog.compose_check import compose_problems
from proximity_tui.services.catalog.convert_common import Skipped
from proximity_tui.services.catalog.lint import unprivileged_risks

APP: dict[str, Any] = {
    "name": "big-bear-wiki",
    "services": {
        "app": {
            "container_name": "big-bear-wiki",
            "image": "example/wiki:1.2.3",
            "ports": ["8080:3000"],
            "environment": {
                "PUID": "$PUID",
                "PGID": "${PGID}",
                "TZ": "$TZ",
                "DB_HOST": "big-bear-wiki-db",
                "DB_PASS": "hunter2x",
                "DATABASE_URL": "postgres://wiki:hunter2x@big-bear-wiki-db:5432/wiki",
                "PUBLIC_URL": "http://[CASAOS_IP]:8080",
            },
            "volumes": [
                "/DATA/AppData/$AppID/config:/config",
                {"type": "bind", "source": "/DATA/Media", "target": "/media"},
                "/etc/localtime:/etc/localtime:ro",
            ],
            "deploy": {"resources": {"reservations": {"memory": "768M"}}},
            "x-casaos": {"envs": [{"container": "TZ", "description": {"en_US": "Time zone"}}]},
        },
        "db": {
            "container_name": "big-bear-wiki-db",
            "image": "postgres:16.1",
            "environment": ["POSTGRES_USER=wiki", "POSTGRES_PASSWORD=hunter2x"],
            "volumes": ["/DATA/AppData/$AppID/data/db:/var/lib/postgresql/data"],
            "command": "postgres -c password=hunter2x",
            "deploy": {"resources": {"reservations": {"memory": "256M"}}},
        },
    },
    "x-casaos": {
        "architectures": ["amd64", "arm64"],
        "main": "app",
        "title": {"en_US": "Wiki"},
        "tagline": {"en_US": "A wiki"},
        "description": {"en_US": "Pages.\nMore pages."},
        "category": "Documents",
        "port_map": "8080",
        "index": "/setup",
        "tips": {"before_install": {"en_US": "Log in as admin with password hunter2x."}},
    },
}


def convert(data: dict[str, Any] | None = None, raw: bytes | None = None, **kw: Any):
    body = raw if raw is not None else yaml.safe_dump(data or APP).encode()
    return convert_casaos("Wiki", {"docker-compose.yml": body}, source="bigbear", **kw)


def test_metadata_ports_health_and_resources():
    entry = convert()
    assert (entry.id, entry.name, entry.category, entry.source) == (
        "wiki",
        "Wiki",
        "Documents",
        "bigbear",
    )
    assert entry.description.startswith("A wiki\n\nPages.\nMore pages.")
    web = entry.web_port()
    assert web is not None and web.number == 8080
    assert entry.health is not None and (entry.health.port, entry.health.path) == (8080, "/setup")
    assert entry.resources.min_memory == 768 + 256 and entry.resources.memory == 1024
    assert "deploy" not in entry.compose["services"]["app"]
    assert compose_problems(entry.compose) == []


def test_store_blocks_and_container_names_dropped_references_renamed():
    entry = convert()
    text = yaml.safe_dump(entry.compose)
    assert (
        "x-casaos" not in text and "container_name" not in text and "big-bear-wiki-db" not in text
    )
    env = entry.compose["services"]["app"]["environment"]
    assert env["DB_HOST"] == "db" and "@db:5432" in env["DATABASE_URL"]
    assert any("container_name" in n and "big-bear-wiki-db as db" in n for n in entry.notes)


def test_volumes_and_variables():
    entry = convert()
    app = entry.compose["services"]["app"]
    assert app["volumes"] == ["config:/config", "${MEDIA_DIR}:/media"]  # /etc/localtime dropped
    assert entry.compose["services"]["db"]["volumes"] == ["data-db:/var/lib/postgresql/data"]
    assert set(entry.compose["volumes"]) == {"config", "data-db", "media"}
    env = {v.name: v for v in entry.env}
    assert env["MEDIA_DIR"].default == "media" and env["TZ"].default == "Etc/UTC"
    assert app["environment"]["PUID"] == "1000" and app["environment"]["PGID"] == "1000"
    assert app["environment"]["TZ"] == "${TZ}"
    assert app["environment"]["PUBLIC_URL"] == "http://${PROXIMITY_ADDRESS}:8080"
    assert entry.runtime_variables() == ["PROXIMITY_ADDRESS"]
    assert {v.name for v in entry.volumes} == {"config", "data-db", "media"}


def test_one_literal_password_becomes_one_secret_everywhere_and_leaves_the_tips():
    entry = convert()
    secrets = [v for v in entry.env if v.secret]
    assert [v.name for v in secrets] == ["DB_PASS"]
    text = yaml.safe_dump(entry.compose)
    assert "hunter2x" not in text
    assert text.count("${DB_PASS}") == 4  # app's value and URL, db's variable and command
    assert entry.compose["services"]["db"]["environment"][0] == "POSTGRES_USER=wiki"
    assert "hunter2x" not in entry.description and "(generated: DB_PASS)" in entry.description
    assert not any("hunter2x" in n for n in entry.notes + entry.warnings)
    assert any(n.startswith("tips: default credentials removed") for n in entry.notes)
    env = entry.render_environment({"PROXIMITY_ADDRESS": "10.0.0.5"})
    assert env["DB_PASS"] != "hunter2x" and len(env["DB_PASS"]) == 32


def test_a_password_that_is_also_a_name_is_replaced_only_where_it_is_a_password():
    data = copy.deepcopy(APP)
    data["services"]["db"]["environment"] = ["POSTGRES_USER=postgres", "POSTGRES_PASSWORD=postgres"]
    data["services"]["app"]["environment"]["DATABASE_URL"] = "postgres://postgres:postgres@db/x"
    entry = convert(data)
    assert entry.compose["services"]["db"]["environment"] == [
        "POSTGRES_USER=postgres", "POSTGRES_PASSWORD=${POSTGRES_PASSWORD}"
    ]  # fmt: skip
    url = entry.compose["services"]["app"]["environment"]["DATABASE_URL"]
    assert url == "postgres://postgres:${POSTGRES_PASSWORD}@db/x"
    assert entry.compose["services"]["db"]["image"] == "postgres:16.1"


def test_unprivileged_risks_are_warnings_a_deploy_refuses():
    data = copy.deepcopy(APP)
    app = data["services"]["app"]
    app["privileged"] = True
    app["devices"] = ["/dev/dri:/dev/dri"]
    app["volumes"].append("/var/run/docker.sock:/var/run/docker.sock")
    app["deploy"]["resources"]["reservations"]["devices"] = [{"capabilities": ["gpu"]}]
    entry = convert(data)
    codes = {w.split(":")[0] for w in unprivileged_risks(entry)}
    assert codes == {"privileged", "devices", "docker-socket", "gpu"}
    assert "deploy" in entry.compose["services"]["app"]  # the GPU reservation stays, flagged
    assert unprivileged_risks(convert()) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda d: d["x-casaos"].update(architectures=["arm64", "arm"]),
            "no amd64 image (architectures: arm64, arm)",
        ),
        (lambda d: d.update(services={}), "no services"),
        (lambda d: d["services"]["db"].pop("image"), "service db has no image (built from source)"),
    ],
)  # fmt: skip
def test_skipped_with_the_reason(change, reason):
    data = copy.deepcopy(APP)
    change(data)
    with pytest.raises(Skipped, match=f"^{reason.replace('(', '.').replace(')', '.')}$"):
        convert(data)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"services: [", "invalid YAML"),
        (b"- a list", "not a mapping"),
        (b"a: &x [1]\nb: *x\n", "anchors and aliases"),
    ],
)
def test_odd_files_are_skipped_not_raised(raw, reason):
    with pytest.raises(Skipped, match=reason):
        convert(raw=raw)
    with pytest.raises(Skipped, match="no docker-compose.yml"):
        convert_casaos("x", {"README.md": b"hi"}, source="s")
