"""The catalog's Sources view: list the sources, filter the catalog by one, sync with progress,
remove after a confirmation; an added source's entry deploys as `source/id` from the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList

from proximity_tui.app import make_app
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.catalog_sources import SourcesScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.deploy_form import DeployFormScreen
from proximity_tui.services.catalog.sources import SourceRegistry
from proximity_tui.widgets.filter_input import FilterInput
from tests.ui.helpers import on_screen, row_keys, wait_for

STORE = Path(__file__).resolve().parents[1] / "fixtures" / "casaos-store"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("PROXIMITY_DATA_DIR", str(data))
    registry = SourceRegistry(data / "sources")
    registry.add("mine", str(STORE))
    registry.sync("mine")
    return data


def shown_refs(screen: CatalogScreen) -> list[str]:
    entries = screen.query_one("#entries", OptionList)
    return [str(entries.get_option_at_index(i).id) for i in range(entries.option_count)]


async def open_sources(pilot, screen) -> SourcesScreen:
    await pilot.press("s")
    sources = await on_screen(pilot, SourcesScreen)
    await wait_for(pilot, lambda: "mine" in row_keys(pilot.app, "#sources-table"))
    return sources


async def test_filter_by_source_and_deploy_its_entry(world, data_dir):
    services = world.services(0)
    assert services.catalog.get("mine/jellyfin").source == "mine"
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await on_screen(pilot, CatalogScreen)
        assert {"mine/wiki", "mine/jellyfin", "jellyfin"} <= set(shown_refs(screen))
        sources = await open_sources(pilot, screen)
        keys = row_keys(app, "#sources-table")
        assert keys[:2] == ["__all__", "bundled"] and "mine" in keys
        table = sources.query_one(DataTable)
        table.move_cursor(row=keys.index("mine"))
        await pilot.press("enter")
        screen = await on_screen(pilot, CatalogScreen)
        mine = ["mine/jellyfin", "mine/kiosk", "mine/wiki"]
        await wait_for(pilot, lambda: sorted(shown_refs(screen)) == mine)
        # The source's Jellyfin, not the bundled one: the form deploys mine/jellyfin.
        await pilot.press("slash")
        screen.query_one(FilterInput).value = "jellyfin"
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown_refs(screen) == ["mine/jellyfin"])
        assert screen.selected_entry().ref == "mine/jellyfin"
        await pilot.press("d")
        form = await on_screen(pilot, DeployFormScreen)
        assert form.entry.ref == "mine/jellyfin" and form.entry.notes


async def test_sync_then_remove_with_confirmation(world, data_dir):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await on_screen(pilot, CatalogScreen)
        sources = await open_sources(pilot, screen)
        table = sources.query_one(DataTable)
        table.move_cursor(row=row_keys(app, "#sources-table").index("mine"))
        await pilot.press("r")
        status = sources.query_one("#sources-status")
        await wait_for(pilot, lambda: "✔ mine: 3 apps, 1 skipped" in str(status.render()))
        table.move_cursor(row=row_keys(app, "#sources-table").index("mine"))
        await pilot.press("x")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert "Remove the source mine?" in dialog.title_text
        await pilot.press("escape")  # cancelled: nothing removed
        await on_screen(pilot, SourcesScreen)
        assert "mine" in row_keys(app, "#sources-table")
        await pilot.press("x")
        dialog = await on_screen(pilot, ConfirmScreen)
        await pilot.click("#confirm")
        await on_screen(pilot, SourcesScreen)
        await wait_for(pilot, lambda: "mine" not in row_keys(app, "#sources-table"))
        assert "mine/wiki" not in services.catalog
        assert not (data_dir / "sources" / "mine").exists()
        await pilot.press("escape")
        screen = await on_screen(pilot, CatalogScreen)
        await wait_for(pilot, lambda: not any(r.startswith("mine/") for r in shown_refs(screen)))


async def test_a_risky_entry_deploys_only_when_the_box_is_ticked(world, data_dir):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, CatalogScreen)
        await pilot.press("slash")
        screen.query_one(FilterInput).value = "kiosk"
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown_refs(screen)[:1] == ["mine/kiosk"])
        await pilot.press("d")
        form = await on_screen(pilot, DeployFormScreen)
        plan = form.query_one("#plan")
        deploy = form.query_one("#deploy")
        await wait_for(pilot, lambda: "unprivileged LXC" in str(plan.render()))
        assert deploy.disabled
        form.query_one("#allow-risks").value = True
        await wait_for(pilot, lambda: not deploy.disabled, timeout=20)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: any(a.catalog_id == "kiosk" and a.status == "running"
                               for a in app.apps.values()), timeout=60
        )  # fmt: skip
