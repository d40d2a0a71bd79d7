"""The palette's "Prepare Docker-ready base on NODE" (issue 19): offered per online node to
those who may change things, it builds the node's base through the real services."""

from __future__ import annotations

from proximity_tui.app import make_app
from proximity_tui.providers import NodesProvider
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.services.docker_base import BASE_TAG
from tests.ui.helpers import on_screen, said, wait_for


def _bases(sim, node: str) -> list[int]:
    def find():
        return [
            g.vmid
            for g in sim.state.guests.values()
            if g.node == node and g.config.get("template") and BASE_TAG in g.config.get("tags", "")
        ]

    return sim.call(find)


async def test_the_palette_prepares_a_node(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        await wait_for(pilot, lambda: services.cluster is not None)
        provider = NodesProvider(app.screen)
        hits = [h async for h in provider.search("prepare pve3")]
        assert hits and hits[0].text == "Prepare Docker-ready base on pve3"
        hits[0].command()
        await app.workers.wait_for_complete()
        notes = [n.message for n in said(app)]
        assert any("Docker-ready base of pve3: CT" in m for m in notes), notes
    assert _bases(world.sim, "pve3")


async def test_no_prepare_for_a_read_only_session(world):
    services = world.services(1, read_only=True)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        assert [h async for h in NodesProvider(app.screen).search("prepare")] == []
