"""Shared fixtures for the catalog tests: the reference v1 catalog and a valid entry mapping."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

VALID: dict[str, Any] = {
    "id": "redis",
    "name": "Redis",
    "description": "In-memory store",
    "category": "Databases",
    "tags": ["db", "cache"],
    "version": "7.4.2",
    "ports": [{"number": 6379, "purpose": "Redis protocol"}],
    "env": [{"name": "REDIS_PASSWORD", "secret": True}],
    "resources": {"cores": 1, "memory": 256, "disk": 2},
    "compose": {
        "services": {
            "redis": {
                "image": "redis:7.4.2-alpine",
                "ports": ["6379:6379"],
                "command": ["redis-server", "--requirepass", "${REDIS_PASSWORD}"],
                "volumes": ["data:/data"],
            }
        },
        "volumes": {"data": {}},
    },
}


@pytest.fixture
def valid() -> dict[str, Any]:
    return copy.deepcopy(VALID)


@pytest.fixture(scope="session")
def v1_catalog(reference) -> Path:
    return reference("proximity-v1/catalog")


@pytest.fixture(scope="session")
def readme_figure(reference):
    """A figure quoted in the reference README, found by a regex with one group."""

    def figure(pattern: str) -> int:
        match = re.search(pattern, reference("README.md").read_text(encoding="utf-8"))
        assert match, f"figure not found in the reference README: {pattern}"
        return int(match.group(1))

    return figure
