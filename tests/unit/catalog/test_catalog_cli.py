"""`proximity-tui catalog ...` end to end, as a subprocess with its own data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.commandline import json_lines


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMITY_")}
    env["PROXIMITY_DATA_DIR"] = str(data_dir)
    env["PROXIMITY_CONFIG"] = str(data_dir / "absent.toml")
    return subprocess.run(
        [sys.executable, "-m", "proximity_tui", "catalog", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_list_search_and_category(tmp_path):
    table = run(tmp_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "name", "category"]
    assert len(lines) >= 41 and any(line.startswith("jellyfin ") for line in lines)

    found = run(tmp_path, "--search", "jelyfin", "--json")
    assert found.returncode == 0, found.stderr
    rows = json_lines(found.stdout)
    assert rows[0]["id"] == "jellyfin" and rows[0]["web_port"] == 8096
    assert rows[0]["source"] == "bundled"

    dbs = json_lines(run(tmp_path, "--category", "databases", "--json").stdout)
    assert {"postgres", "mariadb", "redis"} <= {r["id"] for r in dbs}
    assert {r["category"] for r in dbs} == {"Databases"}


def test_bad_input_is_one_line_on_stderr(tmp_path):
    bad = run(tmp_path, "--category", "Nope")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("proximity-tui: error: unknown category 'Nope' (known: ")
    missing = run(tmp_path, "show", "nope")
    assert missing.returncode == 2
    assert missing.stderr == "proximity-tui: error: catalog app not found: nope\n"
    no_dir = run(tmp_path, "import", str(tmp_path / "absent"))
    assert no_dir.returncode == 2 and "not a directory" in no_dir.stderr
    assert not (tmp_path / "catalog").exists(), "a refused import writes nothing"


def test_show_prints_the_entry(tmp_path):
    shown = run(tmp_path, "show", "vaultwarden", "--json")
    data = json.loads(shown.stdout)
    assert data["id"] == "vaultwarden" and data["source"] == "bundled"
    assert data["compose"]["services"]["vaultwarden"]["image"].startswith("vaultwarden/server:")
    assert {"name": "ADMIN_TOKEN"}.items() <= data["env"][0].items()


def test_import_writes_user_catalog_that_overrides_bundled(tmp_path):
    source = tmp_path / "v1"
    source.mkdir()
    (source / "index.json").write_text(json.dumps({"apps": ["redis.json"], "version": "2.9.0"}))
    (source / "redis.json").write_text(
        json.dumps(
            {
                "id": "Redis",
                "name": "Redis (v1)",
                "category": "Database",
                "ports": [6379],
                "environment": {"REDIS_PASSWORD": "redis123"},
                "docker_compose": {
                    "version": "3.8",
                    "services": {
                        "redis": {
                            "image": "redis:latest",
                            "network_mode": "host",
                            "environment": {"REDIS_PASSWORD": "redis123"},
                        }
                    },
                },
            }
        )
    )
    (source / "broken.json").write_text("{nope")
    data_dir = tmp_path / "data"
    # Issue 15, point 8: an entry with a bundled app's id is refused unless --replace, naming it.
    refused = run(data_dir, "import", str(source))
    assert refused.returncode == 2 and refused.stdout == "", refused.stderr
    assert refused.stderr == (
        "proximity-tui: error: 1 entry has the id of a bundled app (redis): nothing imported; "
        "--replace imports it over the bundled one\n"
    )
    assert not (data_dir / "catalog").exists()
    assert json.loads(run(data_dir, "show", "redis", "--json").stdout)["source"] == "bundled"
    done = run(data_dir, "import", str(source), "--replace")
    assert done.returncode == 0, done.stderr
    assert "imported 1 apps" in done.stdout and "skipped 1 files" in done.stdout
    assert "replacing bundled apps: redis" in done.stdout
    assert "broken.json: invalid JSON" in done.stderr
    written = data_dir / "catalog" / "redis.yaml"
    data = yaml.safe_load(written.read_text())
    assert data["source"] == "imported"
    assert any(w.startswith("hard-coded-secret:") for w in data["warnings"])
    assert any(w.startswith("unpinned-image:") for w in data["warnings"])

    rows = json_lines(run(data_dir, "--search", "redis", "--json").stdout)
    redis = next(r for r in rows if r["id"] == "redis")
    assert redis["name"] == "Redis (v1)" and redis["source"] == "imported"
    assert redis["overrides_bundled"] is True
    assert not any(r["overrides_bundled"] for r in rows if r["id"] != "redis")
    assert len([r for r in rows if r["id"] == "redis"]) == 1
    table = run(data_dir, "--search", "redis").stdout.splitlines()
    assert "imported (" in table[1] and ", overrides bundled" in table[1]
    assert table[-1] == "1 replacing a bundled app: redis"
    again = run(data_dir, "import", str(source), "--replace")  # re-import replaces its files
    assert again.returncode == 0 and "imported 1 apps" in again.stdout


@pytest.mark.usefixtures("v1_catalog")
def test_import_the_reference_catalog(tmp_path, v1_catalog):
    refused = run(tmp_path, "import", str(v1_catalog))  # many ids are bundled ones too
    assert refused.returncode == 2 and "vaultwarden" in refused.stderr
    assert not (tmp_path / "catalog").exists()
    done = run(tmp_path, "import", str(v1_catalog), "--replace")
    assert done.returncode == 0, done.stderr
    assert "imported 132 apps" in done.stdout
    assert len(list((tmp_path / "catalog").glob("*.yaml"))) == 132
    listing = run(tmp_path, "--json")
    assert listing.stderr == "", "every imported file loads back"
    rows = json_lines(listing.stdout)
    assert sum(r["source"] == "imported" for r in rows) == 132


def test_sources_add_list_filter_show_lint_remove(tmp_path):
    """`catalog source ...` and `catalog lint --source` on a small CasaOS-format store."""
    store = tmp_path / "store" / "Apps"
    for app, archs in (("Wiki", ["amd64"]), ("ArmOnly", ["arm64"])):
        (store / app).mkdir(parents=True)
        (store / app / "docker-compose.yml").write_text(
            yaml.safe_dump(
                {
                    "services": {
                        "web": {
                            "image": "example/wiki:1.0",
                            "ports": ["8080:80"],
                            "privileged": True,
                            "environment": {"ADMIN_PASSWORD": "changeme-please"},
                        }
                    },
                    "x-casaos": {
                        "architectures": archs,
                        "title": {"en_US": app},
                        "category": "Tools",
                        "port_map": "8080",
                    },
                }
            )  # fmt: skip
        )
    data = tmp_path / "data"
    added = run(data, "source", "add", "mine", str(tmp_path / "store"))
    assert added.returncode == 0, added.stderr
    assert "mine: casaos: converted 1, skipped 1" in added.stdout
    assert "skipped 1: no amd64 image (architectures: arm64)" in added.stdout
    listed = json_lines(run(data, "source", "list", "--json").stdout)
    assert [(s["name"], s["format"], s["converted"]) for s in listed] == [("mine", "casaos", 1)]

    rows = json_lines(run(data, "--source", "mine", "--json").stdout)
    assert [r["id"] for r in rows] == ["mine/wiki"]
    shown = run(data, "show", "mine/wiki")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "notes:" in text and "secret-generated: ADMIN_PASSWORD" in text
    assert "changeme-please" not in text and "privileged: web: privileged: true" in text

    lint = json.loads(run(data, "lint", "--source", "mine", "--json").stdout)
    assert lint["converted"] == 1 and lint["skipped"] == 1
    assert lint["warnings_by_code"]["privileged"] == 1
    bundled = json.loads(run(data, "lint", "--json").stdout)
    assert bundled["source"] == "bundled" and bundled["converted"] >= 40
    assert bundled["warnings_by_code"] == {}, "the bundled catalog keeps 0 warnings"

    bad = run(data, "source", "add", "Bad Name", str(tmp_path / "store"))
    assert bad.returncode == 2 and bad.stderr.startswith("proximity-tui: error: 'Bad Name'")
    unknown = run(data, "--source", "nope")
    assert unknown.returncode == 2 and "unknown source 'nope'" in unknown.stderr
    removed = run(data, "source", "remove", "mine")
    assert removed.returncode == 0 and "removed source mine" in removed.stdout
    assert run(data, "show", "mine/wiki").returncode == 2


def test_the_deployed_counts_never_create_or_need_the_database(tmp_path):
    """`catalog` reads its deployed column from the database when there is one: none is created
    for it, and one it cannot use leaves the listing whole, with one warning line."""
    listed = run(tmp_path, "--search", "whoami", "--json")
    assert listed.returncode == 0 and json_lines(listed.stdout)[0]["deployed"] == 0
    assert not (tmp_path / "proximity.db").exists()
    (tmp_path / "proximity.db").write_text("not a database")
    broken = run(tmp_path, "--search", "whoami")
    assert broken.returncode == 0 and broken.stdout.splitlines()[1].startswith("whoami ")
    assert broken.stderr.startswith("proximity-tui: warning: deployed counts unknown: ")
    assert broken.stderr.count("\n") == 1
    assert (tmp_path / "proximity.db").read_text() == "not a database"
