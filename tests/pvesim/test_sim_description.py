"""A CT's description as PVE stores it: `#` comment lines in its config (pve-container
`src/PVE/LXC/Config.pm` write_pct_config / parse_pct_config), at most 8 KiB."""

from __future__ import annotations

import pytest
from proxmoxer.core import ResourceException
from sim_helpers import create_ct, wait


def description(px, vmid: int) -> str | None:
    return px.nodes("pve1").lxc(vmid).config.get().get("description")


def test_description_comes_back_line_by_line_with_newlines(px) -> None:
    status = create_ct(px, "pve1", 7101, description="first\n\nthird\n\n\n")
    assert status["exitstatus"] == "OK"
    assert description(px, 7101) == "first\n\nthird\n"

    px.nodes("pve1").lxc(7101).config.put(description="one line, 100% : kept")
    assert description(px, 7101) == "one line, 100% : kept\n"

    px.nodes("pve1").lxc(7101).config.put(description="\n\n")  # nothing left: no key at all
    assert description(px, 7101) is None


def test_clone_takes_the_new_description_or_keeps_the_source(px) -> None:
    create_ct(px, "pve1", 7102, description="source")
    upid = px.nodes("pve1").lxc(7102).clone.post(newid=7103, full=1, description="copy\n\n")
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    assert description(px, 7103) == "copy\n"
    upid = px.nodes("pve1").lxc(7102).clone.post(newid=7104, full=1)
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    assert description(px, 7104) == "source\n"


def test_a_description_over_8_kib_is_refused(px) -> None:
    create_ct(px, "pve1", 7105, description="kept")
    with pytest.raises(ResourceException) as err:
        px.nodes("pve1").lxc(7105).config.put(description="x" * 8193)
    assert err.value.status_code == 400 and "description" in str(err.value.errors)
    assert description(px, 7105) == "kept\n"
