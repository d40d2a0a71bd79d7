"""A mode's first screen is not styled twice more by the resumes Textual posts when the mode is
first entered (start-up CPU): what those restyles would compute, it already has; after it was
suspended, or when the stylesheet changed, a resume restyles it as Textual does."""

from __future__ import annotations

from textual.dom import DOMNode

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.live import LiveScreen
from proximity_tui.screens.operations import OperationsScreen
from tests.ui.helpers import on_screen, wait_for


def computed(screen: LiveScreen) -> dict[DOMNode, tuple]:
    """Every node's rules as the stylesheet set them, its component classes' too."""
    return {
        node: (
            node.styles.base.get_rules(),
            {name: s.base.get_rules() for name, s in node._component_styles.items()},
        )
        for node in screen.walk_children(with_self=True)
    }


async def test_a_modes_first_screen_has_what_a_full_restyle_gives(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        for key, kind in (("2", AppsScreen), ("3", OperationsScreen), ("1", CatalogScreen)):
            await pilot.press(key)
            screen = await on_screen(pilot, kind)
            assert screen.styles_fresh, kind  # entered once: its resumes did not restyle it
            shown = computed(screen)
            app.update_styles(screen)  # what the skipped restyles would have computed
            assert computed(screen) == shown, kind


async def test_a_resume_restyles_after_a_suspend_or_a_stylesheet_change(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        apps = await on_screen(pilot, AppsScreen)
        assert apps.styles_fresh
        await pilot.press("3")
        await on_screen(pilot, OperationsScreen)
        assert not apps.styles_fresh  # suspended: from now on its resumes restyle it

        # A theme changed while the Apps screen is away reaches it when it comes back.
        before = apps.query_one("#apps-table").styles.background
        app.theme = "textual-light" if app.current_theme.dark else "textual-dark"
        await pilot.press("2")
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: apps.query_one("#apps-table").styles.background != before)
