"""k9s's `:` command mode: a prompt at the bottom that switches mode (landing on the list), opens
the deploy form or an app, quits; Tab completes, a wrong word names the close match and changes
nothing, Escape closes, and a burst `:apps⏎` (a laggy link) lands in the prompt."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, Label

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.command_mode import Command, CommandModeScreen, complete, resolve
from proximity_tui.screens.deploy_form import DeployFormScreen
from proximity_tui.screens.help import HelpScreen
from proximity_tui.screens.operations import OperationsScreen
from tests.ui.helpers import on_screen, wait_for

ENTRIES = {"grafana": "builtin/grafana", "gitea": "builtin/gitea", "ntfy": "builtin/ntfy"}
APPS = {"web": "whoami-web", "wiki": "wikijs-wiki"}


def test_resolve_reads_commands_aliases_and_arguments():
    assert resolve("apps", ENTRIES, APPS) == Command("mode:apps")
    assert resolve(" OPS ", ENTRIES, APPS) == Command("mode:operations")
    assert resolve("operations", ENTRIES, APPS) == Command("mode:operations")
    assert resolve("q", ENTRIES, APPS) == Command("quit")
    assert resolve("quit", ENTRIES, APPS) == Command("quit")
    assert resolve("deploy Grafana", ENTRIES, APPS) == Command("deploy", "builtin/grafana")
    assert resolve("open web", ENTRIES, APPS) == Command("open", "whoami-web")


def test_resolve_names_the_close_match_of_a_wrong_word():
    assert resolve("aps", ENTRIES, APPS) == "unknown command :aps; did you mean :apps?"
    assert "did you mean :catalog?" in str(resolve("catalgo", ENTRIES, APPS))
    assert "unknown command :zzzz" in str(resolve("zzzz", ENTRIES, APPS))
    assert resolve("deploy grafna", ENTRIES, APPS) == (
        "no catalog entry named grafna; did you mean grafana?"
    )
    assert "needs the catalog entry's name" in str(resolve("deploy", ENTRIES, APPS))
    assert resolve("apps now", ENTRIES, APPS) == ":apps takes no argument"


def test_tab_completes_the_word_then_the_name():
    assert complete("ca", ENTRIES, APPS) == "catalog"
    assert complete("de", ENTRIES, APPS) == "deploy "
    assert complete("o", ENTRIES, APPS) == "op"  # open, operations, ops
    assert complete("deploy gr", ENTRIES, APPS) == "deploy grafana"
    assert complete("deploy g", ENTRIES, APPS) == "deploy g"  # gitea, grafana: no common part
    assert complete("open wi", ENTRIES, APPS) == "open wiki"
    assert complete("xyz", ENTRIES, APPS) == "xyz"


def _prompt_error(app) -> str:
    return str(app.screen.query_one("#command-error", Label).render())


async def test_colon_switches_mode_and_lands_on_the_list(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0))
        await on_screen(pilot, AppDetailScreen)
        await pilot.press("colon", *"ops", "enter")
        await on_screen(pilot, OperationsScreen)
        await pilot.press("colon", *"apps", "enter")
        await on_screen(pilot, AppsScreen)  # the list, not the detail left open there
        assert len(app.screen_stack) == 1
        await pilot.press("colon", *"catalog", "enter")
        await on_screen(pilot, CatalogScreen)


async def test_colon_typed_in_one_burst_lands_in_the_prompt(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        for key, char in [("colon", ":"), *((c, c) for c in "catalog"), ("enter", "\r")]:
            app.post_message(events.Key(key, char))  # no wait in between: one burst
        await on_screen(pilot, CatalogScreen)
        # Tab completes what was typed before it in the same burst
        for key, char in [("colon", ":"), *((c, c) for c in "oper"), ("tab", "\t")]:
            app.post_message(events.Key(key, char))
        prompt = await on_screen(pilot, CommandModeScreen)
        await wait_for(pilot, lambda: prompt.query_one(Input).value == "operations")


async def test_unknown_command_says_the_close_match_and_stays(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        await pilot.press("colon", *"aps", "enter")
        prompt = await on_screen(pilot, CommandModeScreen)
        await wait_for(pilot, lambda: "did you mean :apps?" in _prompt_error(app))
        assert prompt.query_one(Input).value == "aps"  # kept, to correct
        await pilot.press("escape")
        await on_screen(pilot, CatalogScreen)  # nothing changed


async def test_tab_completes_and_deploy_opens_the_form(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        await pilot.press("colon", *"dep", "tab", *"whoam", "tab")
        prompt = await on_screen(pilot, CommandModeScreen)
        assert prompt.query_one(Input).value == "deploy whoami"
        await pilot.press("enter")
        form = await on_screen(pilot, DeployFormScreen)
        assert form.entry.id == "whoami"


async def test_help_and_quit_commands(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        await pilot.press("colon", *"help", "enter")
        await on_screen(pilot, HelpScreen)
        await pilot.press("escape")
        await pilot.press("colon", "q", "enter")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


async def test_colon_is_a_character_in_a_text_field(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, CatalogScreen)
        await pilot.press("slash", "a", "colon", "b")
        box = screen.focused
        assert isinstance(box, Input) and box.value == "a:b"
        assert not isinstance(app.screen, CommandModeScreen)
