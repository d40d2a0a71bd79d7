"""A deploy refuses an entry whose warnings say an unprivileged LXC cannot run it, unless the user
allows it; nothing else about the request changes."""

from __future__ import annotations

import copy

import pytest

from proximity_tui.config import DeploySettings
from proximity_tui.errors import ValidationError
from proximity_tui.services.catalog.lint import lint_entry
from proximity_tui.services.catalog.schema import entry_from_mapping
from proximity_tui.services.catalog.service import CatalogService
from proximity_tui.services.operations.deploy_request import DeployRequest, validate_request


def catalog_with(valid, **service) -> CatalogService:
    data = copy.deepcopy(valid)
    data["compose"]["services"]["redis"].update(service)
    entry = entry_from_mapping(data, file="t", source="mine")
    entry.warnings = lint_entry(entry)
    return CatalogService([entry])


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ({"privileged": True}, "privileged"),
        ({"devices": ["/dev/dri:/dev/dri"]}, "devices"),
        ({"volumes": ["data:/data", "/var/run/docker.sock:/var/run/docker.sock"]}, "docker-socket"),
        ({"runtime": "nvidia"}, "gpu"),
    ],
)
def test_risky_entries_are_refused_unless_allowed(valid, service, code):
    catalog = catalog_with(valid, **service)
    with pytest.raises(ValidationError, match=f"mine/redis needs .*{code}: redis") as caught:
        validate_request(catalog, DeploySettings(), DeployRequest("mine/redis", "cache"))
    assert "--allow-risks" in str(caught.value)
    job = validate_request(
        catalog, DeploySettings(), DeployRequest("mine/redis", "cache", allow_risks=True)
    )
    assert job.entry.ref == "mine/redis" and job.app_id == "redis-cache"


def test_a_clean_entry_needs_no_permission(valid):
    job = validate_request(catalog_with(valid), DeploySettings(), DeployRequest("redis", "cache"))
    assert job.hostname == "cache"
