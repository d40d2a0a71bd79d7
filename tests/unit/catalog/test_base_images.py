"""What a Docker-ready base may carry (services/base_images.py) and the compose a deploy writes
(`CatalogEntry.deploy_compose_yaml`): pure functions over real catalog entries."""

from __future__ import annotations

import copy
import shlex
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from proximity_tui.errors import NotFoundError, ValidationError
from proximity_tui.services import base_images
from proximity_tui.services.catalog.model import START_INTERVAL
from proximity_tui.services.catalog.schema import entry_from_mapping
from proximity_tui.services.catalog.service import CatalogService
from proximity_tui.services.docker_base import Base

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> CatalogService:
    return CatalogService.load()


def _base(images: str, pulled: datetime | None = NOW - timedelta(days=1)) -> Base:
    facts = {"proximity-base": "2", "images": images}
    if pulled is not None:
        facts["images-pulled"] = pulled.isoformat(timespec="seconds")
    return Base(200, "pve1", True, facts, "local-lvm", 3.0)


@pytest.mark.parametrize(
    ("ref", "short"),
    [
        ("nginx", "nginx:latest"),
        ("docker.io/library/nginx:1.27", "nginx:1.27"),
        ("index.docker.io/louislam/uptime-kuma:1", "louislam/uptime-kuma:1"),
        (
            "ghcr.io/home-assistant/home-assistant:stable",
            "ghcr.io/home-assistant/home-assistant:stable",
        ),  # noqa: E501
        ("registry.local:5000/team/app", "registry.local:5000/team/app:latest"),
        ("redis@sha256:abc", "redis@sha256:abc"),
    ],
)
def test_references_are_compared_in_dockers_short_form(ref, short):
    assert base_images.normalize(ref) == short


def test_the_images_of_apps_are_listed_once_each(catalog):
    images = base_images.images_of(catalog, ["whoami", "uptime-kuma", "whoami"])
    assert images == (
        base_images.normalize(catalog.get("whoami").images()[0]),
        base_images.normalize(catalog.get("uptime-kuma").images()[0]),
    )


def test_an_unknown_app_or_an_image_chosen_at_deploy_is_refused(catalog, valid):
    with pytest.raises(NotFoundError, match="nope"):
        base_images.images_of(catalog, ["nope"])
    valid["compose"]["services"]["redis"]["image"] = "redis:${REDIS_TAG:-7}"
    entry = entry_from_mapping(valid, file="redis.yaml")
    assert base_images.starts_early(entry, _base("redis:7"), NOW) == ""

    class One:  # a catalog of that entry alone
        def get(self, _id):
            return entry

    with pytest.raises(ValidationError, match="chosen when it is deployed"):
        base_images.images_of(One(), ["redis"])  # type: ignore[arg-type]


def test_the_with_list_takes_commas_and_spaces():
    assert base_images.parse_list("whoami, uptime-kuma  ntfy,,") == [
        "whoami",
        "uptime-kuma",
        "ntfy",
    ]
    assert base_images.parse_list("") == []


def test_the_pull_command_quotes_every_reference():
    command = base_images.pull_command(["a:1", "b;rm -rf /:2"])
    assert shlex.split(command) == [
        "docker", "pull", "-q", "a:1", "&&", "docker", "pull", "-q", "b;rm -rf /:2",
    ]  # fmt: skip


def test_an_app_starts_early_only_when_every_image_is_carried_and_fresh(catalog):
    kuma = catalog.get("uptime-kuma")
    ref = base_images.normalize(kuma.images()[0])
    assert "the base carries" in base_images.starts_early(kuma, _base(f"x:1 {ref}"), NOW)
    assert base_images.starts_early(kuma, None, NOW) == ""
    assert base_images.starts_early(kuma, _base("x:1"), NOW) == ""  # not carried
    stale = _base(ref, NOW - timedelta(days=base_images.MAX_AGE_DAYS + 1))
    assert base_images.starts_early(kuma, stale, NOW) == ""
    assert "days old: pulling the newest" in base_images.stale_note(kuma, stale, NOW)
    assert base_images.stale_note(kuma, _base(ref), NOW) == ""
    assert base_images.starts_early(kuma, _base(ref, pulled=None), NOW) == ""  # age unknown
    built = copy.deepcopy(kuma)
    built.compose["services"]["sidecar"] = {"build": "."}  # nothing a base can carry
    assert base_images.starts_early(built, _base(ref), NOW) == ""
    future = _base(ref, NOW + timedelta(days=2))  # a clock set wrong is not "fresh"
    assert base_images.starts_early(kuma, future, NOW) == ""


def test_an_app_that_needs_its_address_waits_for_the_lease(catalog):
    ntfy = catalog.get("ntfy")
    assert "PROXIMITY_ADDRESS" in ntfy.runtime_variables()
    carried = " ".join(base_images.normalize(r) for r in ntfy.images())
    assert base_images.starts_early(ntfy, _base(carried), NOW) == ""


def test_a_deploys_compose_probes_every_second_while_the_app_starts(valid):
    valid["compose"]["services"]["own"] = {
        "image": "busybox:1",
        "healthcheck": {"test": ["CMD", "true"], "interval": "30s", "start_interval": "3s"},
    }
    valid["compose"]["services"]["off"] = {"image": "busybox:1", "healthcheck": {"disable": True}}
    valid["compose"]["services"]["mine"] = {
        "image": "busybox:1",
        "healthcheck": {"test": ["CMD", "true"], "start_period": "20s"},
    }
    entry = entry_from_mapping(valid, file="redis.yaml")
    before = copy.deepcopy(entry.compose)
    services = yaml.safe_load(entry.deploy_compose_yaml())["services"]
    assert services["redis"]["healthcheck"] == {"start_interval": START_INTERVAL}
    assert services["own"]["healthcheck"]["start_interval"] == "3s"  # the app's own choice
    assert services["off"]["healthcheck"] == {"disable": True}
    assert services["mine"]["healthcheck"] == {
        "test": ["CMD", "true"],
        "start_period": "20s",
        "start_interval": START_INTERVAL,
    }
    assert entry.compose == before  # the entry (and the catalog's preview) is unchanged
    assert "healthcheck" not in yaml.safe_load(entry.compose_yaml())["services"]["redis"]
    assert entry.deploy_compose_yaml() is entry.deploy_compose_yaml()  # made once
