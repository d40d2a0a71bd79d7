"""Focus shows without colour (harlequin, posting): the focused field or pane has an $accent edge
of another shape than the others; App detail's tabs switch with [ and ]; one reveal key (ctrl+t)
in the deploy form and App detail; the form lower-cases a typed hostname as the CLI does."""

from __future__ import annotations

from textual.widgets import Input, TabbedContent

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.key_hints import REVEAL_KEY
from tests.ui.helpers import on_screen, open_form, wait_for


def _edge(widget) -> str:
    return widget.styles.border_left[0]


async def test_the_focused_form_field_has_an_edge_of_its_own_shape(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "whoami")
        hostname = form.query_one("#hostname", Input)
        assert hostname.has_focus and _edge(hostname) == "thick"
        await pilot.press("tab")
        await wait_for(pilot, lambda: not hostname.has_focus)
        focused = app.focused
        assert focused is not None and focused is not hostname
        assert _edge(hostname) == "blank"
        shape = _edge(focused) if isinstance(focused, Input) else None
        if shape is None:  # a Select: its current-value box carries the edge
            shape = focused.query_one("SelectCurrent").styles.border_left[0]
        assert shape == "thick"


async def test_a_typed_hostname_is_lower_cased_as_typed(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "whoami")
        hostname = form.query_one("#hostname", Input)
        hostname.value = ""
        await pilot.press(*f"{world.prefix}Graf1".replace("t", "T"))
        wanted = f"{world.prefix}graf1"
        await wait_for(pilot, lambda: hostname.value == wanted)
        await wait_for(pilot, lambda: form.hostname_error is None and form.plan is not None)
        assert form.plan.hostname == wanted


async def test_detail_tabs_switch_with_brackets_and_show_the_focused_pane(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0))
        detail = await on_screen(pilot, AppDetailScreen)
        tabs = detail.query_one(TabbedContent)
        assert tabs.active == "settings"
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: tabs.active == "backups")
        table = detail.query_one("#backups-table")
        await wait_for(pilot, lambda: table.has_focus)
        assert _edge(table) == "thick"
        assert _edge(detail.query_one("#settings-scroll")) == "blank"
        await pilot.press("right_square_bracket", "right_square_bracket")
        await wait_for(pilot, lambda: tabs.active == "logs")
        await pilot.press("right_square_bracket")  # round to the first
        await wait_for(pilot, lambda: tabs.active == "settings")
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: tabs.active == "logs")
        assert isinstance(app.screen, AppDetailScreen)  # the number keys were not needed


async def test_one_reveal_key_in_the_form_and_in_detail(world):
    services = world.services(0)
    services.call(services.apps.deploy_app("gitea", world.host(0)))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(f"gitea-{world.host(0)}")
        detail = await on_screen(pilot, AppDetailScreen)
        bound = {key: b.binding.action for key, b in detail.active_bindings.items()}
        assert bound[REVEAL_KEY] == "reveal" and "v" not in bound
        await pilot.press("v")  # no longer the reveal key here
        await pilot.press(REVEAL_KEY)  # as in the deploy form (test_deploy_form.py)
        await wait_for(pilot, lambda: "DB_PASSWORD" in detail.revealed)
        text = str(detail.query_one("#settings-text").render())
        assert detail.revealed["DB_PASSWORD"] in text
