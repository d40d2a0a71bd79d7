"""The Proximity v1 importer: all 132 reference apps, the defects it flags, odd files."""

from __future__ import annotations

import json

import pytest
import yaml

from proximity_tui.services.catalog.importer import convert_v1, import_v1_dir
from proximity_tui.services.catalog.schema import entry_from_mapping


@pytest.fixture(scope="module")
def imported(v1_catalog):
    return import_v1_dir(v1_catalog)


def codes(entry) -> set[str]:
    return {w.split(":", 1)[0] for w in entry.warnings}


def test_all_132_import_without_a_skip(imported, readme_figure):
    assert imported.skipped == []
    assert len(imported.entries) == readme_figure(r"(\d+) apps \+ `index.json`") == 132
    assert all(e.source == "imported" for e in imported.entries)
    assert all(e.id == e.id.lower() for e in imported.entries)
    assert len({e.id for e in imported.entries}) == 132


def test_warning_counts_match_the_reference_readme(imported, readme_figure):
    counts = imported.warning_counts()
    assert counts["host-network"] == readme_figure(r"(\d+) of 132 apps use `network_mode: host`")
    assert counts["no-ports"] == readme_figure(r"(\d+) have no usable `ports`")
    assert counts["latest-version"] == readme_figure(r"(\d+) say `version: latest`")
    # Service-name references under host networking: some of the 105, not all.
    assert 0 < counts["host-network-names"] < counts["host-network"]
    assert counts["hard-coded-secret"] > 30
    assert counts["duplicate"] == 2


def test_unpinned_images_counted_independently(imported, v1_catalog):
    expected = 0
    for path in v1_catalog.glob("*.json"):
        data = json.loads(path.read_text())
        if "docker_compose" not in data:
            continue
        images = [s.get("image", "") for s in data["docker_compose"]["services"].values()]
        tags = [i.rsplit("/", 1)[-1].partition(":")[2] for i in images]
        expected += any(t in ("", "latest") for t in tags)
    assert imported.warning_counts()["unpinned-image"] == expected > 100


def test_specific_defects(imported):
    by_id = {e.id: e for e in imported.entries}
    gitea = by_id["gitea"]
    assert {"host-network", "host-network-names", "hard-coded-secret", "unpinned-image"} <= codes(
        gitea
    )
    assert any("GITEA__database__HOST -> db" in w for w in gitea.warnings)
    assert not any("gitea_password" in w for w in gitea.warnings), "values never echoed"
    assert [p.number for p in gitea.ports] == [3000, 22]
    assert gitea.web_port().number == 3000 and gitea.health.port == 3000
    assert gitea.resources.min_memory == 1024 and gitea.resources.memory >= 1024
    assert [v.name for v in gitea.volumes] == ["gitea_data", "postgres_data"]
    assert {v.name: v.default for v in gitea.env}["POSTGRES_PASSWORD"] == "gitea_password"
    assert "privategpt" in by_id and "id-normalised" in codes(by_id["privategpt"])
    assert "duplicate" in codes(by_id["changedetection"])
    assert "duplicate" in codes(by_id["changedetection.io"])
    assert "duplicate" not in codes(by_id["wordpress"])
    heimdall = by_id["heimdall"]  # no ports and host networking: nothing known
    assert heimdall.ports == [] and heimdall.health is None and "no-ports" in codes(heimdall)
    cd = by_id["changedetection.io"]  # no ports listed, but a compose mapping exists
    assert [p.number for p in cd.ports] == [5000] and "no-ports" in codes(cd)


def test_imported_entries_survive_our_yaml_format(imported):
    for entry in imported.entries[:40]:
        again = entry_from_mapping(yaml.safe_load(entry.to_yaml()), file=f"{entry.id}.yaml")
        assert again.source == "imported"
        assert again.warnings == entry.warnings and again.compose == entry.compose


ODD_FILES = {
    "broken.json": '{"id": "x", ',
    "list.json": "[1, 2]",
    "nocompose.json": '{"id": "nocompose", "name": "N"}',
    "noservices.json": '{"id": "noservices", "docker_compose": {"services": {}}}',
    "noimage.json": '{"id": "noimage", "docker_compose": {"services": {"a": {"build": "."}}}}',
    "badid.json": '{"id": "!!!", "docker_compose": {"services": {"a": {"image": "x:1"}}}}',
    "numid.json": '{"id": 5, "docker_compose": {"services": {"a": {"image": "x:1"}}}}',
}


def test_odd_files_are_skipped_with_name_and_reason(tmp_path):
    for name, text in ODD_FILES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "latin1.json").write_bytes(b'{"id": "\xe9"}')
    (tmp_path / "weird.json").write_text(
        json.dumps(
            {
                "id": "Weird App",
                "name": ["not", "text"],
                "ports": ["80", "x", 70000, "53/udp", 80],
                "tags": ["ok", 3, None],
                "environment": {"GOOD": 1, "bad name": "x"},
                "min_memory": "lots",
                "website": "ftp://x",
                "extra": True,
                "docker_compose": {"version": "3", "services": {"w": {"image": "nginx"}}},
            }
        )
    )
    result = import_v1_dir(tmp_path)
    skipped = {p.file: p.reason for p in result.skipped}
    assert set(skipped) == set(ODD_FILES) | {"latin1.json"}
    assert skipped["broken.json"].startswith("invalid JSON: line 1")
    assert skipped["list.json"] == "file: must be a JSON object"
    assert skipped["nocompose.json"].startswith("docker_compose:")
    assert skipped["noimage.json"].startswith("compose.services.a.image: required")
    assert skipped["latin1.json"] == "not UTF-8 text"
    [weird] = result.entries
    assert weird.id == "weird-app" and weird.name == "weird-app"
    assert [(p.number, p.protocol) for p in weird.ports] == [(80, "tcp"), (53, "udp")]
    assert weird.tags == ["ok", "3"]
    assert [v.name for v in weird.env] == ["GOOD"]
    assert "version" not in weird.compose
    assert weird.website == "" and weird.resources.min_memory == 256
    assert {"bad-field", "id-normalised", "unpinned-image"} <= codes(weird)


def test_missing_directory_is_a_reported_skip(tmp_path):
    result = import_v1_dir(tmp_path / "absent")
    assert result.entries == [] and result.skipped[0].reason == "not a directory"


def test_convert_keeps_a_clean_recipe_clean():
    entry = convert_v1(
        {
            "id": "whoami",
            "name": "whoami",
            "version": "1.11.0",
            "ports": [80],
            "docker_compose": {
                "services": {"w": {"image": "traefik/whoami:v1.11.0", "ports": ["80:80"]}}
            },
        },
        file="whoami.json",
    )
    assert entry.warnings == []
    assert entry.web_port().number == 80
