"""Issue 16, missing 1: after a dropped session, the next start says once how the operations it
left running ended ("While you were away: deploy of X succeeded"). The hang-up hook
(`commands/tui.py` calls `AppService.note_away` before the services close headless) is run here
with a deploy held at a simulator gate; the real SIGHUP path: reliability/test_sighup_tmux.py."""

from __future__ import annotations

from proximity_tui.app import make_app
from tests.ui.helpers import held_deploy, said, wait_for


def _away(app) -> list[str]:
    return [str(n.message) for n in said(app) if n.title == "While you were away"]


async def test_the_next_start_says_once_how_operations_left_running_ended(world):
    services = world.services()
    first = make_app(services, services.settings)
    async with first.run_test(size=(120, 40), notifications=True) as pilot:
        progress, gate = await held_deploy(pilot, world)
        await services.run(services.apps.note_away())  # what a hang-up does, deploy running
        assert _away(first) == []
        gate.open()
        await services.run(services.apps.wait_operation(progress.op_id))

    # A failed operation left running is reported with its error.
    from proximity_tui.services import away

    op = services.journal.start("update", app_id=world.app_id(0), hostname=world.host(0))
    away.remember(services.db, services.user.username, [op])
    services.journal.finish(op, "rolled_back", error="compose pull failed")

    again = make_app(services, services.settings)
    async with again.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: _away(again), timeout=20)
        [said] = _away(again)
        assert said.splitlines() == [
            f"deploy of {world.host(0)} succeeded",
            f"update of {world.host(0)} rolled back: compose pull failed",
        ]

    third = make_app(services, services.settings)  # said once
    async with third.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: third.while_away is not None, timeout=20)
        assert third.while_away == [] and _away(third) == []


async def test_a_mode_switch_while_the_app_shuts_down_makes_no_screen(world):
    """The third start above once failed its exit with "dictionary changed size during
    iteration": its first screen was being made while Textual's shutdown walked the modes'
    stacks. A switch asked once the app stops running (what `App._shutdown` marks first) is
    dropped; while it runs, switches work as before."""
    services = world.services()
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.current_mode in ("apps", "catalog"))
        other = "operations"
        assert other not in app._screen_stacks
        app._running = False  # as `App._shutdown` sets it before closing the screens
        try:
            await app.switch_mode(other)
            assert other not in app._screen_stacks
        finally:
            app._running = True
        await app.switch_mode(other)
        assert app.current_mode == other and other in app._screen_stacks
