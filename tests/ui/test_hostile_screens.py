"""Issue 15, point 1 in the dashboard: text from outside (a stored app name, an operation's error,
container logs, a failing command's stderr, a notification) never reaches the terminal raw.

What is checked is what the screen would write: every segment of a full compositor update (the
text Textual sends to the terminal between its own cursor and style sequences). ESC, BEL, C1
controls and bidi overrides must appear only as their visible escapes.
"""

from __future__ import annotations

import sqlite3

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen, LogView
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.text import unsafe_char
from pvesim.faults import FaultRule
from tests.ui.helpers import on_screen, wait_for

#: OSC 52 (writes the clipboard), OSC 0 (window title), CSI clear screen, a C1 CSI, bidi override.
HOSTILE = "evil \x1b]52;c;cHduZWQ=\x07 \x1b]0;owned\x1b\\ \x1b[2J \x9b31m \u202egnp.exe\u202c end"


def drawn(app) -> str:
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(segment.text for segment in strip) for strip in update.strips)


def assert_inert(app, where: str) -> None:
    text = drawn(app)
    bad = unsafe_char(text, newlines=True)
    assert bad is None, f"{where}: {bad!r} drawn raw in {text[text.find(bad) - 40 :][:120]!r}"


async def test_stored_names_errors_logs_and_notifications_are_drawn_inert(world):
    services = world.services(1)
    app_id = world.app_id(0)
    view = services.call(services.apps.get_app(app_id))
    conn = sqlite3.connect(services.db.path)  # text another program (or an old version) stored
    with conn:
        conn.execute("UPDATE apps SET name = ? WHERE id = ?", (HOSTILE, app_id))
        conn.execute("UPDATE operations SET error = ?, status = 'failed'", (HOSTILE,))
    conn.close()

    def hostile_log_line() -> None:
        docker = world.sim.state.find_ct(view.vmid).inside.docker
        for box in docker.boxes.values():
            docker.log(box, HOSTILE)

    world.sim.call(hostile_log_line)
    app = make_app(services, services.settings)
    async with app.run_test(size=(160, 50)) as pilot:
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: "evil" in drawn(app), timeout=10)
        assert_inert(app, "apps table")
        assert "\\x1b]52" in drawn(app)  # shown, escaped, not dropped
        app.open_app(app_id, tab="logs")
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: any("evil" in x for x in detail.query_one(LogView).lines))
        await pilot.pause()
        assert_inert(app, "logs tab")
        for tab in ("operations", "settings", "backups"):
            detail.query_one("TabbedContent").active = tab
            await pilot.pause()
            assert_inert(app, f"detail {tab}")
        app.notify(f"Cannot stop: {HOSTILE}", severity="error", markup=False)
        await pilot.pause()
        assert_inert(app, "notification")
        await pilot.press("escape")
        await app.action_mode("operations")
        await wait_for(pilot, lambda: "evil" in drawn(app), timeout=10)
        assert_inert(app, "operations screen")


async def test_a_failing_commands_stderr_is_drawn_inert_in_the_progress_screen(world):
    services = world.services()
    world.sim.faults.add(FaultRule(command=r"apk add", exit_status=1, stderr=HOSTILE, times=None))
    app = make_app(services, services.settings)
    async with app.run_test(size=(160, 50)) as pilot:
        op_id = await services.run(services.apps.start_deploy("whoami", world.host(0)))
        screen = DeployProgressScreen(op_id)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.status != "running", timeout=30)
        await wait_for(pilot, lambda: "evil" in drawn(app), timeout=10)
        assert_inert(app, "deploy progress")
