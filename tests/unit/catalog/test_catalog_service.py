"""CatalogService: bundled plus user catalogs, overrides, lookups and ranked search."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from proximity_tui.errors import NotFoundError
from proximity_tui.services.catalog.schema import entry_from_mapping
from proximity_tui.services.catalog.service import CatalogService


@pytest.fixture(scope="module")
def catalog() -> CatalogService:
    return CatalogService.load()


def test_user_entry_overrides_bundled_and_bad_files_are_reported(tmp_path, valid):
    valid["name"] = "My Redis"
    (tmp_path / "redis.yaml").write_text(yaml.safe_dump(valid))
    valid["id"], valid["name"] = "my-cache", "My Cache"
    (tmp_path / "my-cache.yaml").write_text(yaml.safe_dump(valid))
    (tmp_path / "broken.yaml").write_text("id: [\n")
    (tmp_path / "notes.txt").write_text("ignored")
    bundled = CatalogService.load()
    merged = CatalogService.load(tmp_path)
    assert len(merged) == len(bundled) + 1
    assert merged.get("redis").name == "My Redis" and merged.get("redis").source == "user"
    assert merged.get("my-cache").source == "user"
    assert [p.path.name for p in merged.problems] == ["broken.yaml"]
    assert str(merged.problems[0]).startswith("broken.yaml: invalid YAML")
    assert bundled.get("redis").name == "Redis"
    # The user's redis took a bundled id: an override (listed by `catalog`, marked on screen).
    assert merged.overrides == {"redis"} and bundled.overrides == frozenset()
    assert merged.overrides_bundled(merged.get("redis"))
    assert not merged.overrides_bundled(merged.get("my-cache"))
    assert CatalogService.load(tmp_path, bundled=False).overrides == frozenset()


def test_the_clash_rule(valid):
    """`clashes.py`: bundled entries win a plain id unless the user says otherwise; an import
    names the bundled ids it would take."""
    from proximity_tui.services.catalog.clashes import bundled_clashes, resolve_clashes

    def make(source):
        return entry_from_mapping(dict(valid), file="x", source=source)

    bundled, user, store = make("bundled"), make("user"), make("store")
    assert resolve_clashes([store, bundled])["redis"] is bundled  # a source: store/redis only
    assert resolve_clashes([store, user])["redis"] is user
    assert resolve_clashes([bundled, store], {"store"})["redis"] is store  # --override-bundled
    assert bundled_clashes(["Redis", "my-cache", "nginx"], {"redis", "nginx"}) == [
        "nginx",
        "redis",
    ]


def test_user_catalog_alone(tmp_path, valid):
    (tmp_path / "redis.yaml").write_text(yaml.safe_dump(valid))
    only = CatalogService.load(tmp_path, bundled=False)
    assert [e.id for e in only.entries] == ["redis"]
    assert CatalogService.load(tmp_path / "missing", bundled=False).entries == []


def test_get_is_case_insensitive_and_raises_not_found(catalog):
    assert catalog.get("Jellyfin").id == "jellyfin"
    assert "JELLYFIN" in catalog and "nope" not in catalog
    with pytest.raises(NotFoundError) as err:
        catalog.get("nope")
    assert str(err.value) == "catalog app not found: nope"


def test_categories_count_entries(catalog):
    cats = catalog.categories()
    assert list(cats) == sorted(cats, key=str.lower)
    assert cats["Databases"] == sum(1 for e in catalog.entries if e.category == "Databases")


# --- search --------------------------------------------------------------------------------------


def ids(results):
    return [e.id for e in results]


def test_typo_finds_jellyfin_first(catalog):
    assert ids(catalog.search("jelyfin"))[0] == "jellyfin"
    assert ids(catalog.search("nxtcloud"))[0] == "nextcloud"
    assert ids(catalog.search("grafna"))[0] == "grafana"


def test_letters_in_order_find_an_app_as_fzf_does(catalog):
    assert ids(catalog.search("vltw"))[0] == "vaultwarden"
    assert ids(catalog.search("vwarden"))[0] == "vaultwarden"
    assert ids(catalog.search("uptkm"))[0] == "uptime-kuma"
    # Only when nothing matched better: a real word keeps its own ranking.
    assert ids(catalog.search("git"))[:2] == ["gitea", "forgejo"]
    assert catalog.search("qqxz") == []


def test_pass_ranks_the_password_manager_high(catalog):
    assert "vaultwarden" in ids(catalog.search("pass"))[:3]
    assert ids(catalog.search("password manager"))[0] == "vaultwarden"


def test_db_finds_databases_by_tag(catalog):
    found = catalog.search("db")
    assert {"postgres", "mariadb", "redis"} <= set(ids(found))
    assert all("db" in e.tags or e.category == "Databases" for e in found)


def test_exact_then_prefix_then_words_then_fuzzy(catalog):
    # "git": gitea's id starts with it (prefix) and is ranked over forgejo (a 'git' tag only).
    assert ids(catalog.search("git"))[:2] == ["gitea", "forgejo"]
    # exact name beats a longer name with the same prefix.
    assert ids(catalog.search("redis"))[0] == "redis"
    assert ids(catalog.search("uptime kuma"))[0] == "uptime-kuma"
    assert ids(catalog.search("uptimekuma"))[0] == "uptime-kuma"
    assert ids(catalog.search("media server"))[0] in {"jellyfin", "navidrome"}


def test_ties_are_stable_and_limit_and_category_apply(catalog):
    first = ids(catalog.search("db"))
    assert first == ids(catalog.search("db")) == ids(catalog.search("  DB "))
    assert ids(catalog.search("db", limit=2)) == first[:2]
    assert ids(catalog.search("db", category="databases")) == [
        i for i in first if catalog.get(i).category == "Databases"
    ]
    assert catalog.search("zzzzqqq") == []
    everything = catalog.search("")
    assert len(everything) == len(catalog)
    assert [e.name.lower() for e in everything] == sorted(e.name.lower() for e in everything)
    assert {e.category for e in catalog.search("", category="Media")} == {"Media"}


def test_search_ranking_tiers_on_a_small_catalog(valid):
    def make(entry_id, name, tags, description=""):
        data = dict(valid, id=entry_id, name=name, tags=tags, description=description)
        return entry_from_mapping(data, file=f"{entry_id}.yaml")

    entries = [
        make("notes-plus-pro", "Notes Plus Pro", ["markdown"]),
        make("note", "Note", []),
        make("scribe", "Scribe", ["notes"]),
        make("writer", "Writer", [], "write notes in the browser"),
        make("noteworthy", "Noteworthy", []),
    ]
    service = CatalogService(entries)
    # exact "note", then prefixes (shorter first), then the tag, then the description.
    assert ids(service.search("note")) == [
        "note",
        "noteworthy",
        "notes-plus-pro",
        "scribe",
        "writer",
    ]
    same = [dataclasses.replace(entries[1], id=f"note-{i}", name=f"Twin {i}") for i in range(3)]
    twins = CatalogService(same)
    assert ids(twins.search("twin")) == ["note-0", "note-1", "note-2"]
