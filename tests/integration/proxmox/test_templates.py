"""Template resolution against the simulator's nodes and appliance index (over HTTPS)."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ValidationError
from proximity_tui.services.templates import newest_alpine, pinned_template, resolve_template

OLD = "alpine-3.22-default_20250617_amd64.tar.xz"
NEW = "alpine-3.23-default_20260116_amd64.tar.xz"


def test_newest_alpine_orders_by_release_then_build():
    names = [
        "alpine-3.9-default_20190101_amd64.tar.xz",
        "alpine-3.23-default_20260101_amd64.tar.xz",
        "alpine-3.23-default_20260116_amd64.tar.xz",
        "debian-12-standard_12.12-1_amd64.tar.zst",
        "alpine-3.24-default_20260714_arm64.tar.xz",  # another architecture
    ]
    assert newest_alpine(names) == "alpine-3.23-default_20260116_amd64.tar.xz"
    assert newest_alpine(["debian-12-standard_12.12-1_amd64.tar.zst"]) is None


def test_pinned_only_when_someone_named_one():
    assert pinned_template(OLD, OLD, "") is None
    assert pinned_template(OLD, OLD, NEW) == NEW
    own = "alpine-3.18-default_20230607_amd64.tar.xz"
    assert pinned_template(own, OLD, NEW) == own


async def test_cached_template_is_used_without_download(client, info):
    node = sorted(info.nodes)[0]  # the fresh cluster caches Alpine 3.22 on the first node
    choice = await resolve_template(client, node)
    assert choice.volid == f"local:vztmpl/{OLD}" and choice.source == "on the node"


async def test_node_without_template_gets_the_index_newest(client, info):
    node = sorted(info.nodes)[2]
    for vol in await client.templates(node):  # other tests of the session may have put one
        if vol.name.startswith("alpine-"):
            upid = await client.delete_volume(node, vol.volid.split(":")[0], vol.volid)
            if upid:
                await client.wait_task(upid)
    assert [v for v in await client.templates(node) if v.name.startswith("alpine")] == []
    listed = [a.template for a in await client.appliances(node)]
    choice = await resolve_template(client, node)
    assert choice.volid is None and choice.name == newest_alpine(listed)
    assert choice.source == "from the index"


async def test_pinned_name_the_index_dropped_is_refused_naming_the_newest(client, info):
    node = sorted(info.nodes)[2]
    gone = "alpine-3.19-default_20240207_amd64.tar.xz"
    with pytest.raises(ValidationError) as err:
        await resolve_template(client, node, gone)
    assert gone in str(err.value) and "newest Alpine it lists is" in str(err.value)
    assert err.value.field == "template"
    pinned = await resolve_template(client, node, OLD)  # listed: downloaded when deployed
    assert pinned.name == OLD and pinned.volid is None and pinned.source == "pinned"
