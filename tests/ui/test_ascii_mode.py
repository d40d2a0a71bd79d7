"""The ASCII / 16-colour mode (TERM=linux, vt100, a C locale, `--ascii`): the Apps screen, the
catalog, an app's detail and a deploy's progress draw no character outside ASCII and no colour
outside the 16 ANSI ones, whatever the widgets or Textual itself put there."""

from __future__ import annotations

import pytest

from proximity_tui import glyphs
from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.widgets.step_checklist import StepChecklist
from tests.ui.helpers import held_deploy, on_screen, row_keys, wait_for


@pytest.fixture(autouse=True)
def unicode_after():
    """The glyph table is the process's: the next test starts with Unicode again."""
    yield
    glyphs.use(False)


def drawn(app) -> tuple[str, set[str]]:
    """The screen as the terminal gets it: its text, and every colour that is not one of the 16
    ANSI colours (or the terminal's default)."""
    text, odd = [], set()
    for strip in app.screen._compositor.render_strips():
        text.append(strip.text)
        for segment in strip:
            style = segment.style
            for color in (style.color, style.bgcolor) if style else ():
                if color is not None and not color.is_system_defined:
                    odd.add(color.name)
    return "\n".join(text), odd


def assert_ascii(app, where: str) -> str:
    text, odd = drawn(app)
    outside = sorted({c for c in text if not c.isascii()})
    assert not outside, f"{where}: {outside!r} drawn in\n{text}"
    assert not odd, f"{where}: colours outside the 16 ANSI ones: {sorted(odd)}"
    return text


async def test_apps_catalog_detail_and_deploy_progress_draw_only_ascii(world):
    services = world.services(0)
    # host 1 is on the list; host 0 is left for the deploy below (`held_deploy`)
    services.call(services.apps.deploy_app("whoami", world.host(1)))
    services.settings.ui.ascii = True
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: world.app_id(1) in row_keys(app))
        # The footer's bindings are painted a moment after the table (it read blank at load 5).
        await wait_for(pilot, lambda: "Open" in drawn(app)[0].splitlines()[-1])
        text = assert_ascii(app, "apps")
        assert "* running" in text  # the running badge, from the ASCII table
        # Seen in tmux on TERM=linux: the footer read `? Open` beside `? Help` (⏎ has no ASCII
        # form) and the header `? Proximity`.
        lines = text.splitlines()
        assert lines[0].lstrip().startswith("# Proximity")
        assert "enter Open" in lines[-1] and "? Open" not in lines[-1]
        assert app.theme == "ansi-dark" and app.ansi_color

        await pilot.press("enter")
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: detail.app_id == world.app_id(1))
        assert_ascii(app, "detail")

        await pilot.press("1")
        await on_screen(pilot, CatalogScreen)
        assert_ascii(app, "catalog")

        progress, gate = await held_deploy(pilot, world)
        checklist = progress.query_one(StepChecklist)
        await wait_for(pilot, lambda: any(s.state == "running" for s in checklist.steps))
        text = assert_ascii(app, "deploy progress")
        assert "+ " in text  # the steps done so far, ticked in ASCII
        gate.open()
        services.call(services.apps.wait_operation(progress.op_id))
        await wait_for(pilot, lambda: all(s.state == "done" for s in checklist.steps))
        assert_ascii(app, "deploy finished")


async def test_without_the_mode_the_same_screen_keeps_its_unicode_glyphs(world):
    """The check above can fail: the same Apps screen in the usual mode draws `●` and a
    rounded/tall border, and truecolour."""
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: world.app_id(0) in row_keys(app))
        text, odd = drawn(app)
        assert "● running" in text
        assert odd  # the theme's truecolour
        assert glyphs.current() is glyphs.UNICODE


def test_what_the_ui_is_doing_to_an_app_reads_in_both_tables():
    from proximity_tui.widgets.status_badge import doing_label

    assert doing_label("restoring") == "◐ restoring…"
    glyphs.use(True)
    assert doing_label("restoring") == "~ restoring..."


async def test_no_color_still_removes_colour_in_the_mode(world, monkeypatch):
    """NO_COLOR is Textual's (its monochrome filter); the ASCII filter runs after it."""
    monkeypatch.setenv("NO_COLOR", "1")
    services = world.services(0)
    services.settings.ui.ascii = True
    app = make_app(services, services.settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await on_screen(pilot, CatalogScreen)
        assert app.no_color
        text = assert_ascii(app, "catalog without colour")
        assert "All (" in text
