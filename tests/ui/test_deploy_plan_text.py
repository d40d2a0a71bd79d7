"""The plan does not promise a CT number it has not reserved."""

from __future__ import annotations

from types import SimpleNamespace

from proximity_tui.screens.deploy_plan import plan_text


def test_the_plan_names_the_vmid_as_an_example_of_the_next_free_one():
    plan = SimpleNamespace(
        vmid=112, node="pve1", cores=1, memory=64, disk=1, template="alpine.tar.xz",
        template_cached=True, steps=[("create", "Create the container")], problems=[],
    )  # fmt: skip
    first = plan_text(plan).plain.splitlines()[0]
    assert first.startswith("next free CT (e.g. 112) on pve1")
    assert "CT 112 on" not in first
