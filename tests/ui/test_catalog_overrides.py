"""Issue 15, point 8, on the catalog screen: an entry of the user's catalog that takes a bundled
app's id (imported with --replace, or written by hand) is marked in the list and its detail says
which bundled entry it replaces; bundled entries carry no mark."""

from __future__ import annotations

import yaml
from textual.widgets import OptionList, Static

from proximity_tui.app import make_app
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.services.catalog.service import BUNDLED_DIR
from proximity_tui.widgets.filter_input import FilterInput
from tests.ui.helpers import on_screen, wait_for


async def test_an_override_of_a_bundled_entry_is_marked(world, tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("PROXIMITY_DATA_DIR", str(data))
    entry = yaml.safe_load((BUNDLED_DIR / "whoami.yaml").read_text())
    entry["name"] = "Whoami mine"
    (data / "catalog").mkdir(parents=True)
    (data / "catalog" / "whoami.yaml").write_text(yaml.safe_dump(entry))
    services = world.services(0)
    assert services.catalog.overrides == {"whoami"}
    app = make_app(services, services.settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await on_screen(pilot, CatalogScreen)
        entries = screen.query_one("#entries", OptionList)
        detail = screen.query_one("#entry-detail", Static)

        async def select(query: str) -> str:
            await pilot.press("slash")
            screen.query_one(FilterInput).value = query
            await wait_for(pilot, lambda: screen._shown and screen._shown[0].name.lower() == query)
            return str(entries.get_option_at_index(0).prompt)

        assert "replaces bundled" in await select("whoami mine")
        await wait_for(pilot, lambda: "Replaces the bundled 'whoami'" in str(detail.render()))
        assert str(data / "catalog" / "whoami.yaml") in str(detail.render())
        await pilot.press("escape")
        assert "replaces bundled" not in await select("grafana")
        await wait_for(pilot, lambda: "Grafana" in str(detail.render()))
        assert "Replaces the bundled" not in str(detail.render())
